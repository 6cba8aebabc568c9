/**
 * supabase.extractor: reads a Supabase project's database over the Postgres protocol (the connection's
 * `pg_dsn`, direct or pooler, or host/port/database/user/password) exactly like postgres.extractor.
 */
import { connectionFields, connectionLabel, hasPgFields } from '../../connectors/postgres/client.js';
import { runPostgresExtract } from '../../connectors/postgres/extract.js';
import { postgresErrorTable } from '../../connectors/postgres/retry-codes.js';
import { openPostgresStream } from '../../connectors/postgres/stream.js';
import {
  type Driver,
  type StepContext,
  StepError,
  type StepResult,
  type StreamContext,
} from '../../runtime/driver.js';

/** Reading needs the Postgres protocol: a connection with only the REST API's url and key cannot. */
function requirePgFields(ctx: StreamContext): void {
  if (!hasPgFields(connectionFields(ctx.connection, ctx.config)))
    throw new StepError(
      'connection.invalid_config',
      `step '${ctx.stepId}': connection ${connectionLabel(ctx.connection, 'supabase')} has no database credentials (pg_dsn, or host, port, database, user and password); reading needs the Postgres protocol`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${VAR} reference syntax of osiris_connections.yaml
      'copy the connection string from the Supabase dashboard (Connect → Session pooler or Direct) into pg_dsn, e.g. pg_dsn: ${SUPABASE_DB_URL}',
    );
}

export const driver: Driver = {
  errorTable: postgresErrorTable,
  async run(ctx: StepContext): Promise<StepResult> {
    requirePgFields(ctx);
    return runPostgresExtract(ctx, { family: 'supabase' });
  },
  async openStream(ctx: StreamContext) {
    requirePgFields(ctx);
    return openPostgresStream(ctx, { family: 'supabase' });
  },
};
