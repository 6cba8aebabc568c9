/**
 * The write modes, each leaving the target as it was when it fails:
 * - a missing target is created as a staging table, loaded and renamed into place;
 * - `append` loads into the target inside one InnoDB transaction (a verified append into a large table loads
 *   a staging table first, then `INSERT … SELECT`, so its check reads only this load's rows);
 * - `replace` loads a staging table (CREATE TABLE … LIKE) and swaps it in with one atomic RENAME (MySQL DDL
 *   commits implicitly, so a transaction cannot do it), then drops the old table;
 * - `upsert` loads a staging table, then `INSERT … SELECT … ON DUPLICATE KEY UPDATE` in one transaction.
 */
import { StepError } from '../../../runtime/driver.js';
import { commitStateInMysql } from '../../../runtime/incremental/commit.js';
import type { CommitPoint } from '../../../runtime/retry/commit.js';
import { quoteMysqlIdent } from '../client.js';
import type { ColumnStats } from '../types.js';
import { columnDefs, createTableSql } from './ddl.js';
import type { LoadColumn, Pause } from './load.js';
import type { WritePlan } from './plan.js';
import { throwIfCancelled } from './session.js';
import { dropSideTable, type StageLoad, stageLoaded } from './staging.js';
import { swapBlockers, uniqueKeys } from './target.js';
import type { MysqlVerify } from './verify.js';
import { warningsError } from './warnings.js';

/** One write in progress: the session, the target and the input's rows. */
export interface Write extends StageLoad {
  plan: WritePlan;
  columns: LoadColumn[];
  /** The input's columns (name, DuckDB type) and key columns, for CREATE TABLE. */
  inputColumns: readonly { name: string; type: string }[];
  keyColumns: string[];
  /** The key columns as the target names them. */
  targetKeys: string[];
  /** Lengths that size the columns of a new table (before loading it). */
  stats(): Promise<Map<string, ColumnStats>>;
  /** A stream's: lets a new table widen while it loads. */
  resizing: ((r: Resizing) => void) | undefined;
  /** Load verification (verify.ts), when the step has it on. */
  verify: MysqlVerify | undefined;
  /** Reached right before the statement that makes the load visible (a retry is safe only before it). */
  commit: CommitPoint;
}

/** Widens a new table's columns as a stream's values turn out longer than its types (see createAndLoad). */
export interface Resizing {
  /** After a chunk is rendered: the pause that widens the table before the chunk is sent, if it must. */
  pauseFor(stats: Map<string, ColumnStats>): Pause | undefined;
}

/**
 * Creates the missing target as a staging table, loads it, renames it into place. A stream's lengths are
 * known only as its rows go by: its staging table starts with the types of short values (VARCHAR(255)…)
 * and, when a longer value comes, the load pauses for an ALTER that widens the column (rebuilding the rows
 * loaded so far) — so it ends with the DDL the materialised path creates.
 */
export async function createAndLoad(w: Write): Promise<number> {
  const stage = w.tables.stageName();
  const defsFor = (stats: Map<string, ColumnStats>) =>
    columnDefs(w.ctx.stepId, w.inputColumns, w.keyColumns, stats);
  let defs = defsFor(await w.stats());
  const createSql = createTableSql(stage, defs, w.keyColumns);
  const alter = async (changed: string[]): Promise<void> => {
    await w.client.query(
      `ALTER TABLE ${quoteMysqlIdent(stage)} ${changed.map((d) => `MODIFY ${d}`).join(', ')}`,
    );
  };
  w.resizing?.({
    pauseFor(stats) {
      const next = defsFor(stats);
      const changed = next.filter((d, i) => d !== defs[i]);
      if (!changed.length) return undefined;
      defs = next;
      return { pause: () => alter(changed) };
    },
  });
  const rows = await stageLoaded(w, stage, createSql);
  throwIfCancelled(w.ctx);
  w.commit.reached();
  await w.client.query(`RENAME TABLE ${quoteMysqlIdent(stage)} TO ${quoteMysqlIdent(w.plan.table)}`);
  await commitStateInMysql(w.ctx, w.client); // after the RENAME's implicit commit: see docs/adr/0024
  w.tables.keep(stage);
  const ddl = createTableSql(w.plan.table, defs, w.keyColumns);
  w.ctx.emit('table_created', { connection: w.ref, table: w.shown, ddl });
  return rows;
}

export async function appendRows(w: Write): Promise<number> {
  const key = w.verify ? await largeAppendKey(w) : undefined;
  if (key) return appendThroughStage(w, key);
  return w.loadInto(quoteMysqlIdent(w.plan.table));
}

/** Above this many rows (InnoDB's estimate), a verified append is staged instead of scanning the table. */
const LARGE_APPEND_TARGET_ROWS = 100_000;

/**
 * The primary key a verified append into a large table (≥ 100,000 rows by estimate, over ten times the
 * load) can find its own rows by, when every key column is loaded; undefined otherwise (the append goes
 * straight in and verification compares the table's figures before and after).
 */
async function largeAppendKey(w: Write): Promise<string[] | undefined> {
  const [r] = await w.client.rows(
    'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [w.plan.table],
  );
  const estimate = Number(r?.n ?? 0);
  if (estimate < LARGE_APPEND_TARGET_ROWS || estimate <= 10 * (w.rowsIn ?? 0)) return undefined;
  const primary = (await uniqueKeys(w.client, w.plan.table)).get('PRIMARY');
  const loaded = new Set(w.columns.map((c) => c.target.toLowerCase()));
  return primary?.every((k) => loaded.has(k.toLowerCase())) ? primary : undefined;
}

/**
 * A verified append into a large table: the rows are staged, inserted in one transaction and verified on
 * the target's rows with the staged primary keys (index lookups: the check costs the load, not the table).
 */
async function appendThroughStage(w: Write, key: string[]): Promise<number> {
  const target = quoteMysqlIdent(w.plan.table);
  const stage = w.tables.stageName();
  const quotedStage = quoteMysqlIdent(stage);
  const rows = await stageLoaded(w, stage, `CREATE TABLE ${quotedStage} LIKE ${target}`);
  const cols = w.columns.map((col) => quoteMysqlIdent(col.target)).join(', ');
  await w.client.query('START TRANSACTION');
  try {
    const ok = await w.client.run(`INSERT INTO ${target} (${cols}) SELECT ${cols} FROM ${quotedStage}`);
    if (ok.warningStatus > 0) throw await warningsError(w.client, `${ok.affectedRows} rows affected`);
    await w.verify?.merged(w.client, quotedStage, key);
    throwIfCancelled(w.ctx);
    await commitStateInMysql(w.ctx, w.client);
    w.commit.reached();
    await w.client.query('COMMIT');
  } catch (error) {
    await w.client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  w.tables.keep(stage);
  await dropSideTable(w.ctx, w.client, stage, (why) => `staging table '${stage}' was not dropped: ${why}`);
  return rows;
}

export async function replaceRows(w: Write): Promise<number> {
  const { ctx, client, plan } = w;
  const blockers = await swapBlockers(client, plan.table);
  if (blockers.length)
    throw new StepError(
      'write.replace_unsupported',
      `step '${ctx.stepId}': ${w.ref} table '${w.shown}' has ${blockers.join(', ')}; replace swaps in a new table, which would lose or break them`,
      "use write_mode 'upsert' (or remove the foreign keys/triggers first)",
      { details: { connection: w.ref, table: plan.table, blockers } },
    );
  const target = quoteMysqlIdent(plan.table);
  const stage = w.tables.stageName();
  const old = w.tables.oldName();
  const rows = await stageLoaded(w, stage, `CREATE TABLE ${quoteMysqlIdent(stage)} LIKE ${target}`);
  // One RENAME of both tables is atomic: readers see the old or the new table, never none.
  throwIfCancelled(ctx);
  w.tables.claim(old); // dropped right after the swap; a crash in between must not keep it forever
  w.commit.reached();
  await client.query(
    `RENAME TABLE ${target} TO ${quoteMysqlIdent(old)}, ${quoteMysqlIdent(stage)} TO ${target}`,
  );
  await commitStateInMysql(ctx, client); // after the RENAME's implicit commit: see docs/adr/0024
  w.tables.keep(stage);
  await dropSideTable(ctx, client, old, (why) => `the previous contents stay in table '${old}': ${why}`);
  return rows;
}

/** The target's unique key on the upsert's key columns; StepError when it has none. */
async function checkUpsertKey(w: Write): Promise<void> {
  const keys = await uniqueKeys(w.client, w.plan.table);
  const wanted = [...w.targetKeys].map((k) => k.toLowerCase()).sort();
  const matching = [...keys.entries()].find(
    ([, cols]) =>
      cols.length === wanted.length &&
      [...cols]
        .map((k) => k.toLowerCase())
        .sort()
        .every((k, i) => k === wanted[i]),
  );
  if (!matching)
    throw new StepError(
      'write.schema_mismatch',
      `step '${w.ctx.stepId}': ${w.ref} table '${w.shown}' has no PRIMARY or UNIQUE key on (${w.targetKeys.join(', ')}); an upsert needs one`,
      `add it: ALTER TABLE ${w.plan.table} ADD UNIQUE (${w.targetKeys.join(', ')})`,
      { details: { connection: w.ref, table: w.plan.table, primary_key: w.targetKeys } },
    );
  if (keys.size > 1)
    w.ctx.emit('upsert_other_unique_keys', {
      level: 'warning',
      table: w.shown,
      keys: [...keys.keys()].filter((k) => k !== matching[0]),
      message: 'ON DUPLICATE KEY UPDATE also matches these unique keys',
    });
}

/** `INSERT … SELECT … ON DUPLICATE KEY UPDATE` of the staged rows, in one transaction. */
async function mergeStage(w: Write, quotedStage: string, rows: number): Promise<void> {
  const target = quoteMysqlIdent(w.plan.table);
  const cols = w.columns.map((col) => quoteMysqlIdent(col.target));
  const keySet = new Set(w.targetKeys.map((k) => k.toLowerCase()));
  const updates = w.columns
    .filter((col) => !keySet.has(col.target.toLowerCase()))
    .map((col) => `${quoteMysqlIdent(col.target)} = s.${quoteMysqlIdent(col.target)}`);
  if (!updates.length) {
    const k = quoteMysqlIdent(w.targetKeys[0] as string);
    updates.push(`${k} = ${target}.${k}`);
  }
  await w.client.query('START TRANSACTION');
  try {
    const ok = await w.client.run(
      `INSERT INTO ${target} (${cols.join(', ')}) SELECT ${cols.map((col) => `s.${col}`).join(', ')} FROM ${quotedStage} AS s ON DUPLICATE KEY UPDATE ${updates.join(', ')}`,
    );
    if (ok.warningStatus > 0) throw await warningsError(w.client, `${ok.affectedRows} rows affected`);
    await w.verify?.merged(w.client, quotedStage);
    throwIfCancelled(w.ctx);
    await commitStateInMysql(w.ctx, w.client);
    w.commit.reached();
    await w.client.query('COMMIT');
    // With CLIENT_FOUND_ROWS (mysql2's default) an insert counts 1 and a matched row 2.
    const updated = Math.max(0, ok.affectedRows - rows);
    w.ctx.emit('upsert_counts', { table: w.shown, inserted: rows - updated, updated });
  } catch (error) {
    await w.client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export async function upsertRows(w: Write): Promise<number> {
  await checkUpsertKey(w);
  const stage = w.tables.stageName();
  const quotedStage = quoteMysqlIdent(stage);
  const rows = await stageLoaded(
    w,
    stage,
    `CREATE TABLE ${quotedStage} LIKE ${quoteMysqlIdent(w.plan.table)}`,
  );
  await mergeStage(w, quotedStage, rows);
  w.tables.keep(stage);
  await dropSideTable(w.ctx, w.client, stage, (why) => `staging table '${stage}' was not dropped: ${why}`);
  return rows;
}
