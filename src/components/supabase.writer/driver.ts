/**
 * supabase.writer: over the Postgres protocol when the connection has pg_dsn or host/… (same COPY-based,
 * transactional load as postgres.writer); otherwise over the REST API with url + service key, in batches
 * with retries (src/connectors/supabase/write-rest.ts). Over the Postgres protocol it also takes rows passed
 * straight from a mysql.extractor (docs/adr/0006-pass-through.md).
 */
import { connectionFields, connectionLabel, hasPgFields } from '../../connectors/postgres/client.js';
import { postgresErrorTable } from '../../connectors/postgres/retry-codes.js';
import {
  postgresStreamDeclined,
  runPostgresStreamWrite,
  runPostgresWrite,
} from '../../connectors/postgres/write.js';
import { restSettings } from '../../connectors/supabase/rest.js';
import { runSupabaseRestWrite } from '../../connectors/supabase/write-rest.js';
import { type Driver, type StepContext, StepError, type StepResult } from '../../runtime/driver.js';
import { StepConfig } from '../../runtime/step-config.js';

/** `write_mode: insert` is the Python Osiris's name for append (a plain INSERT: a duplicate key fails). */
function withAppendForInsert<T extends { config: StepContext['config'] }>(ctx: T): T {
  return ctx.config.write_mode === 'insert'
    ? { ...ctx, config: { ...ctx.config, write_mode: 'append' } }
    : ctx;
}

export const driver: Driver = {
  errorTable: postgresErrorTable,
  run(ctx: StepContext): Promise<StepResult> {
    return write(withAppendForInsert(ctx));
  },
  streamDeclined(step, columns) {
    if (!hasPgFields(connectionFields(step.connection, step.config)))
      return 'the connection writes over the REST API, which loads its input table';
    return postgresStreamDeclined(columns);
  },
  writeStream: (ctx, stream) =>
    runPostgresStreamWrite(withAppendForInsert(ctx), { family: 'supabase' }, stream),
};

async function write(ctx: StepContext): Promise<StepResult> {
  const fields = connectionFields(ctx.connection, ctx.config);
  if (hasPgFields(fields)) return runPostgresWrite(ctx, { family: 'supabase' });
  const label = connectionLabel(ctx.connection, 'supabase');
  const schema = StepConfig.of(ctx).string('schema');
  const rest = restSettings(
    {
      ...fields,
      ...(typeof ctx.config.url === 'string' ? { url: ctx.config.url } : {}),
      ...(typeof ctx.config.project_id === 'string' ? { project_id: ctx.config.project_id } : {}),
    },
    label,
    schema,
  );
  if (rest) return runSupabaseRestWrite(ctx, rest);
  throw new StepError(
    'connection.invalid_config',
    `step '${ctx.stepId}': connection ${label} has neither database credentials (pg_dsn, or host/port/database/user/password) nor a REST url with service_role_key or key`,
    'add pg_dsn (Supabase dashboard → Connect), or url and service_role_key, to the connection in osiris_connections.yaml',
  );
}
