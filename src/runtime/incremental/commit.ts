/**
 * The one call each database writer makes to commit the cursor state of the incremental reads upstream of
 * it, on its load's connection just before COMMIT, so the state and the rows commit together. (A file writer
 * commits right after renaming its output into place: `ctx.incremental?.commitLocal`, in file-output.ts.)
 * Every function is a no-op when no incremental read feeds the writer.
 */
import type pg from 'pg';
import type { MysqlClient } from '../../connectors/mysql/client.js';
import { StepError, type StreamContext } from '../driver.js';
import { describeStore, sinkStore } from './sink.js';
import {
  mysqlStateConflicts,
  pgStateConflicts,
  type StateConflict,
  upsertMysqlStates,
  upsertPgStates,
} from './target-state.js';
import type { StateStore } from './types.js';

/** `state.conflict`: rolls the load back rather than load a window another run already committed. */
function conflictError(ctx: StreamContext, store: StateStore, conflicts: StateConflict[]): StepError {
  const [first] = conflicts as [StateConflict];
  return new StepError(
    'state.conflict',
    `step '${ctx.stepId}': the cursor of step '${first.record.step_id}' in ${describeStore(store)} is ${first.found ?? 'gone'}, not ${first.record.expected ?? 'unset'} as when this run read it (another run committed or reset it meanwhile); this run did not store its cursor`,
    'run the pipeline again: it reads from the cursor now stored',
    {
      details: {
        extractor_step: first.record.step_id,
        found: first.found ?? null,
        expected: first.record.expected ?? null,
      },
    },
  );
}

/** postgres.writer / supabase.writer: inside the open transaction on `client`, in the target's `schema`. */
export async function commitStateInPostgres(
  ctx: StreamContext,
  client: pg.Client,
  schema: string,
): Promise<void> {
  const records = ctx.incremental?.pendingFor(ctx.stepId) ?? [];
  if (!records.length) return;
  const sink = sinkStore(
    ctx.connection?.family === 'supabase' ? 'supabase.writer' : 'postgres.writer',
    ctx.connection,
    ctx.config,
  );
  const store = sink.kind === 'postgres' ? { ...sink, schema } : sink;
  const conflicts = await pgStateConflicts(client, schema, records);
  if (conflicts.length) throw conflictError(ctx, store, conflicts);
  await upsertPgStates(client, schema, records);
  ctx.incremental?.staged(ctx.stepId, records, store);
}

/**
 * mysql.writer: inside the open InnoDB transaction on `client` (append, upsert), or right after the RENAME
 * that published a replaced or new table (a RENAME commits implicitly, so no transaction can span both).
 */
export async function commitStateInMysql(ctx: StreamContext, client: MysqlClient): Promise<void> {
  const records = ctx.incremental?.pendingFor(ctx.stepId) ?? [];
  if (!records.length) return;
  const store = sinkStore('mysql.writer', ctx.connection, ctx.config);
  const conflicts = await mysqlStateConflicts(client, records);
  if (conflicts.length) throw conflictError(ctx, store, conflicts);
  await upsertMysqlStates(client, records);
  ctx.incremental?.staged(ctx.stepId, records, store);
}
