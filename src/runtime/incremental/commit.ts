/**
 * The one call each writer makes to commit the cursor state of the incremental reads upstream of it. A
 * database writer calls it on its load's connection just before COMMIT, so the state and the rows commit
 * together; a file writer calls it right after renaming its output into place. Every function is a no-op
 * when no incremental read feeds the writer.
 */
import type pg from 'pg';
import type { MysqlClient } from '../../connectors/mysql/client.js';
import type { StreamContext } from '../driver.js';
import { sinkStore } from './sink.js';
import { upsertMysqlStates, upsertPgStates } from './target-state.js';

/** postgres.writer / supabase.writer: inside the open transaction on `client`, in the target's `schema`. */
export async function commitStateInPostgres(
  ctx: StreamContext,
  client: pg.Client,
  schema: string,
): Promise<void> {
  const records = ctx.incremental?.pendingFor(ctx.stepId) ?? [];
  if (!records.length) return;
  await upsertPgStates(client, schema, records);
  const store = sinkStore(
    ctx.connection?.family === 'supabase' ? 'supabase.writer' : 'postgres.writer',
    ctx.connection,
    ctx.config,
  );
  ctx.incremental?.staged(ctx.stepId, records, store.kind === 'postgres' ? { ...store, schema } : store);
}

/**
 * mysql.writer: inside the open InnoDB transaction on `client` (append, upsert), or right after the RENAME
 * that published a replaced or new table (a RENAME commits implicitly, so no transaction can span both).
 */
export async function commitStateInMysql(ctx: StreamContext, client: MysqlClient): Promise<void> {
  const records = ctx.incremental?.pendingFor(ctx.stepId) ?? [];
  if (!records.length) return;
  await upsertMysqlStates(client, records);
  ctx.incremental?.staged(ctx.stepId, records, sinkStore('mysql.writer', ctx.connection, ctx.config));
}

/** File writers: right after the output was renamed into place. */
export function commitStateAfterRename(ctx: StreamContext): void {
  ctx.incremental?.commitLocal(ctx.stepId);
}
