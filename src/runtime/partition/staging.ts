/**
 * Staging tables of a partitioned copy and the one swap that moves them into the target.
 *
 * Each partition loads its own staging table `osiris_part_<tag>_<index>` beside the target (same schema /
 * database), dropped and recreated when the partition starts, so a retried partition never duplicates rows.
 * When the target exists the staging table is created empty from the target with exactly the input's columns
 * (so values are converted once, by the same column types); otherwise the writer creates it from the input.
 *
 * The swap checks that every staging table is there and holds the rows its partition reported, then in ONE
 * transaction (Postgres; MySQL InnoDB for an existing target):
 * - replace: empties the target (TRUNCATE, or DELETE when referenced / on MySQL) and inserts every staged row;
 * - append: inserts every staged row;
 * - upsert: INSERT … ON CONFLICT (key) DO UPDATE (Postgres) / ON DUPLICATE KEY UPDATE (MySQL);
 * then verifies the rows it wrote against the staged rows (verify-swap.ts) and commits. A missing target is created from the first staging table
 * (Postgres: in the same transaction; MySQL: a combined table renamed into place). Staging tables are
 * dropped after success and after failure; a failed swap leaves the target as it was.
 */
import { createHash } from 'node:crypto';
import { MysqlClient, mysqlSettings, quoteMysqlIdent } from '../../connectors/mysql/client.js';
import { tableProfile } from '../../connectors/mysql/write/verify.js';
import { lockMysqlTarget } from '../../connectors/mysql/write-lock.js';
import {
  connectPg,
  type PgSession,
  pgIdent,
  pgLiteral,
  pgQualified,
  pgTarget,
  SESSION_SETTINGS,
} from '../../connectors/postgres/client.js';
import { targetProfile } from '../../connectors/postgres/verify.js';
import { lockWriteTarget } from '../../connectors/postgres/write-lock.js';
import type { JsonObject } from '../../yaml/json.js';
import { type ResolvedConnection, StepError, type StreamContext } from '../driver.js';
import type { Family } from './ranges.js';
import { type SwapColumn, verifySwap } from './verify-swap.js';

/** The staging tables' shared prefix for one copy: from the run id and the writer step (≤ 63 bytes). */
export function stageTag(runId: string, writerStepId: string): string {
  return createHash('sha256').update(`${runId}\u0000${writerStepId}`).digest('hex').slice(0, 12);
}

export function stageName(tag: string, index: number): string {
  return `osiris_part_${tag}_${index}`;
}

/** The writer step, as the staging and swap code sees it. */
export interface TargetStep {
  id: string;
  family: Family;
  config: JsonObject;
  connection: ResolvedConnection | undefined;
}

type WriteMode = 'append' | 'replace' | 'upsert';

interface TargetPlan {
  schema: string | undefined;
  table: string;
  mode: WriteMode;
  primaryKey: string[];
  allowEmpty: boolean;
  verify: boolean;
}

function plan(step: TargetStep): TargetPlan {
  const c = step.config;
  const mode = c.write_mode === 'replace' || c.write_mode === 'upsert' ? c.write_mode : 'append';
  const pk = c.primary_key;
  return {
    schema: typeof c.schema === 'string' ? c.schema : undefined,
    table: String(c.table),
    mode,
    primaryKey: typeof pk === 'string' ? [pk] : Array.isArray(pk) ? pk.map(String) : [],
    allowEmpty: c.allow_empty === true,
    verify: c.verify !== false,
  };
}

/** The writer's config that loads one staging table: append into it, created if the target is missing. */
export function stageWriteConfig(step: TargetStep, stage: string): JsonObject {
  const { replace_strategy: _r, ...rest } = step.config;
  return { ...rest, table: stage, write_mode: 'append', create_if_missing: true, allow_empty: true };
}

function fail(code: string, message: string, hint?: string): StepError {
  return new StepError(code, message, hint);
}

const why = (error: unknown) => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------- Postgres

async function pgConnect(step: TargetStep, what: string): Promise<{ session: PgSession; schema: string }> {
  const target = pgTarget(step.connection, step.config, 'postgres');
  const session = await connectPg(target, { applicationName: `${step.id} ${what}` });
  return { session, schema: plan(step).schema ?? target.schema ?? 'public' };
}

async function pgColumns(session: PgSession, qualified: string): Promise<string[] | undefined> {
  const exists = await session.client.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [
    qualified,
  ]);
  if (!exists.rows[0]?.r) return undefined;
  const r = await session.client.query<{ name: string }>(
    `SELECT attname::text AS name FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0
     AND NOT attisdropped ORDER BY attnum`,
    [qualified],
  );
  return r.rows.map((x) => x.name);
}

/**
 * Target column for each input column the target has: the exact name, else the one case-insensitive match.
 * Input columns the target lacks are left to the writer's `schema_evolution` on the staging table (added, or
 * refused as in a single-machine load); the swap then adds them to the target.
 */
function matchNames(input: readonly string[], target: readonly string[]): string[] {
  return input.flatMap((name) => {
    if (target.includes(name)) return [name];
    const ci = target.filter((t) => t.toLowerCase() === name.toLowerCase());
    return ci.length === 1 ? [ci[0] as string] : [];
  });
}

// ---------------------------------------------------------------- both families

/**
 * Drops and recreates one partition's staging table, empty, with the target's types for `inputColumns`;
 * returns the writer config that loads it. Leaves it absent (the writer creates it) when the target is.
 */
export async function prepareStage(
  step: TargetStep,
  stage: string,
  inputColumns: readonly string[],
): Promise<JsonObject> {
  const p = plan(step);
  if (step.family === 'postgres') {
    const { session, schema } = await pgConnect(step, 'partition stage');
    try {
      const target = pgQualified(schema, p.table);
      const into = pgQualified(schema, stage);
      await session.client.query(`DROP TABLE IF EXISTS ${into}`);
      const columns = await pgColumns(session, target);
      const names = columns ? matchNames(inputColumns, columns) : [];
      if (names.length) {
        await session.client.query(
          `CREATE UNLOGGED TABLE ${into} AS SELECT ${names.map(pgIdent).join(', ')} FROM ${target} WITH NO DATA`,
        );
      }
    } finally {
      await session.close();
    }
    return { ...stageWriteConfig(step, stage), schema };
  }
  const client = await mysqlConnect(step);
  try {
    await client.query(`DROP TABLE IF EXISTS ${quoteMysqlIdent(stage)}`);
    const columns = await mysqlColumns(client, p.table);
    const names = columns ? matchNames(inputColumns, columns) : [];
    if (names.length) {
      await client.query(
        `CREATE TABLE ${quoteMysqlIdent(stage)} AS SELECT ${names.map(quoteMysqlIdent).join(', ')} FROM ${quoteMysqlIdent(p.table)} WHERE 1 = 0`,
      );
    }
  } finally {
    await client.end().catch(() => client.abort());
  }
  return stageWriteConfig(step, stage);
}

/** Drops every staging table of the copy `tag` (whatever partitions got to create); returns their names. */
export async function dropStages(step: TargetStep, tag: string): Promise<string[]> {
  const like = `osiris\\_part\\_${tag}\\_%`;
  if (step.family === 'postgres') {
    const { session, schema } = await pgConnect(step, 'partition cleanup');
    try {
      const r = await session.client.query<{ n: string }>(
        `SELECT c.relname::text AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
         WHERE s.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname LIKE $2`,
        [schema, like],
      );
      const names = r.rows.map((x) => x.n);
      if (names.length)
        await session.client.query(
          `DROP TABLE IF EXISTS ${names.map((n) => pgQualified(schema, n)).join(', ')}`,
        );
      return names;
    } finally {
      await session.close();
    }
  }
  const client = await mysqlConnect(step);
  try {
    const rows = await client.rows(
      'SELECT table_name AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?',
      [like],
    );
    const names = rows.map((r) => String(r.n));
    if (names.length) await client.query(`DROP TABLE IF EXISTS ${names.map(quoteMysqlIdent).join(', ')}`);
    return names;
  } finally {
    await client.end().catch(() => client.abort());
  }
}

export interface SwapOutcome {
  /** Rows the target received (inserted or updated). */
  rows: number;
  created: boolean;
  table: string;
  /** The swap's load verification (the `write.verified` event's evidence). */
  verified: JsonObject;
}

export interface SwapRequest {
  step: TargetStep;
  tag: string;
  /** Rows each partition reported, by partition index. */
  partitionRows: readonly number[];
  /** For the write lock's wait event and timeout. */
  lock: Pick<StreamContext, 'stepId' | 'emit' | 'lockTimeoutMs'>;
}

function checkStaged(
  step: TargetStep,
  stages: readonly string[],
  staged: readonly (number | undefined)[],
  expected: readonly number[],
) {
  staged.forEach((n, i) => {
    if (n === undefined)
      throw fail(
        'partition.stage_missing',
        `step '${step.id}': the staging table ${stages[i]} of partition ${i} is gone, although the partition reported success; nothing was swapped, the target is unchanged`,
        'run the pipeline again',
      );
    if (n !== expected[i])
      throw fail(
        'partition.verify_failed',
        `step '${step.id}': staging table ${stages[i]} holds ${n} rows but partition ${i} reported ${expected[i]}; nothing was swapped, the target is unchanged`,
        'run the pipeline again; if it repeats, report it',
      );
  });
}

/** Moves every staged row into the target once (see the module comment); drops the staging tables. */
export async function swapPartitions(req: SwapRequest): Promise<SwapOutcome> {
  try {
    return req.step.family === 'postgres' ? await swapPostgres(req) : await swapMysql(req);
  } finally {
    await dropStages(req.step, req.tag).catch(() => undefined);
  }
}

function describeSwapError(step: TargetStep, shown: string, error: unknown): StepError {
  if (error instanceof StepError) return error;
  return fail(
    'partition.swap_failed',
    `step '${step.id}': moving the partitions into ${shown} failed: ${why(error)}; rolled back, ${shown} is unchanged`,
    'fix the cause above (constraints, types, permissions of the target) and run again',
  );
}

async function swapPostgres(req: SwapRequest): Promise<SwapOutcome> {
  const { step } = req;
  const p = plan(step);
  const { session, schema } = await pgConnect(step, 'partition swap');
  const { client } = session;
  const shown = `${schema}.${p.table}`;
  const target = pgQualified(schema, p.table);
  const stages = req.partitionRows.map((_, i) => stageName(req.tag, i));
  try {
    await client.query(`BEGIN; ${SESSION_SETTINGS}`);
    await lockWriteTarget(req.lock, client, { schema, table: p.table, shown });
    const staged: Array<number | undefined> = [];
    for (const s of stages) {
      const q = pgQualified(schema, s);
      const exists = await client.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [q]);
      if (!exists.rows[0]?.r) staged.push(undefined);
      else
        staged.push(
          Number((await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${q}`)).rows[0]?.n),
        );
    }
    checkStaged(step, stages, staged, req.partitionRows);
    const stagedRows = staged.reduce<number>((a, n) => a + (n ?? 0), 0);
    const first = pgQualified(schema, stages[0] as string);
    // The staging tables' columns and types (the first stands for all: the partitions load alike).
    const stageColumns = await pgColumnTypes(client, first);
    const cols = stageColumns.map((c) => c.name);
    let created = false;
    const existing = await pgColumns(session, target);
    if (existing) {
      // Columns the writer added to the staging tables (schema_evolution: add_columns) join the target in
      // this transaction, with the staging tables' types.
      const added = cols.filter((c) => !existing.includes(c));
      for (const c of stageColumns.filter((s) => added.includes(s.name)))
        await client.query(`ALTER TABLE ${target} ADD COLUMN ${pgIdent(c.name)} ${c.type}`);
    } else {
      await client.query(`CREATE TABLE ${target} (LIKE ${first} INCLUDING ALL)`);
      if (p.primaryKey.length && !(await hasPrimaryKey(session, target)))
        await client.query(`ALTER TABLE ${target} ADD PRIMARY KEY (${p.primaryKey.map(pgIdent).join(', ')})`);
      created = true;
    }
    if (p.mode === 'replace' && stagedRows === 0 && !p.allowEmpty)
      throw fail(
        'partition.empty_input',
        `step '${step.id}': every partition was empty; refusing to replace the contents of ${shown} with nothing`,
        'set allow_empty: true on the writer to empty the table on purpose',
      );
    const list = cols.map(pgIdent).join(', ');
    const union = stages.map((s) => `SELECT ${list} FROM ${pgQualified(schema, s)}`).join(' UNION ALL ');
    if (p.mode === 'replace' && !created) {
      await client.query('SAVEPOINT osiris_truncate');
      try {
        await client.query(`TRUNCATE ${target}`);
      } catch (error) {
        if ((error as { code?: string }).code !== '0A000') throw error;
        await client.query('ROLLBACK TO SAVEPOINT osiris_truncate');
        await client.query(`DELETE FROM ${target}`);
      }
      // Back in the top transaction, so the rows inserted below carry its id as xmin (the verification's scope).
      await client.query('RELEASE SAVEPOINT osiris_truncate');
    }
    let conflict = '';
    if (p.mode === 'upsert' && !created) {
      const keys = new Set(
        p.primaryKey.map((k) => cols.find((c) => c.toLowerCase() === k.toLowerCase()) ?? k),
      );
      const rest = cols.filter((c) => !keys.has(c));
      conflict = ` ON CONFLICT (${[...keys].map(pgIdent).join(', ')}) ${
        rest.length
          ? `DO UPDATE SET ${rest.map((c) => `${pgIdent(c)} = EXCLUDED.${pgIdent(c)}`).join(', ')}`
          : 'DO NOTHING'
      }`;
    }
    const moved = await client.query(`INSERT INTO ${target} (${list}) ${union}${conflict}`);
    // Every row this transaction inserted or updated carries its id as xmin (32 bits; txid adds an epoch).
    const xid = (await client.query<{ x: string }>('SELECT (txid_current() % 4294967296)::text AS x')).rows[0]
      ?.x;
    const unchangedOnConflict = p.mode === 'upsert' && conflict.endsWith('DO NOTHING');
    const verified = await verifySwap({
      stepId: step.id,
      table: shown,
      staged: union,
      moved: p.verify && !unchangedOnConflict ? `${target} WHERE xmin = '${xid}'::xid` : undefined,
      movedShown: 'the rows this swap wrote (xmin)',
      columns: stageColumns,
      stagedRows,
      movedRows: unchangedOnConflict ? stagedRows : Number(moved.rowCount ?? 0),
      profile: (from, checks) => targetProfile(client, { from }, checks),
    });
    await client.query(`DROP TABLE ${stages.map((s) => pgQualified(schema, s)).join(', ')}`);
    await client.query('COMMIT');
    return { rows: stagedRows, created, table: shown, verified };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw describeSwapError(step, shown, error);
  } finally {
    await session.close();
  }
}

async function hasPrimaryKey(session: PgSession, qualified: string): Promise<boolean> {
  const r = await session.client.query(
    `SELECT 1 FROM pg_catalog.pg_index WHERE indrelid = ${pgLiteral(qualified)}::regclass AND indisprimary`,
  );
  return (r.rowCount ?? 0) > 0;
}

// ---------------------------------------------------------------- MySQL

async function mysqlConnect(step: TargetStep): Promise<MysqlClient> {
  return MysqlClient.connect(
    mysqlSettings(step.connection, { config: step.config, stepId: step.id, requireDatabase: true }),
  );
}

async function mysqlColumns(client: MysqlClient, table: string): Promise<string[] | undefined> {
  const rows = await client.rows(
    `SELECT column_name AS n FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?
     ORDER BY ordinal_position`,
    [table],
  );
  return rows.length ? rows.map((r) => String(r.n)) : undefined;
}

async function swapMysql(req: SwapRequest): Promise<SwapOutcome> {
  const { step } = req;
  const p = plan(step);
  const client = await mysqlConnect(step);
  const q = quoteMysqlIdent;
  const stages = req.partitionRows.map((_, i) => stageName(req.tag, i));
  const shown = p.table;
  const combined = `osiris_part_${req.tag}_all`;
  try {
    await lockMysqlTarget(req.lock, client, {
      database: client.settings.database ?? '',
      table: p.table,
      shown,
      ref: client.settings.ref,
    });
    const staged: Array<number | undefined> = [];
    for (const s of stages) {
      const exists = await mysqlColumns(client, s);
      staged.push(
        exists ? Number((await client.rows(`SELECT COUNT(*) AS n FROM ${q(s)}`))[0]?.n) : undefined,
      );
    }
    checkStaged(step, stages, staged, req.partitionRows);
    const stagedRows = staged.reduce<number>((a, n) => a + (n ?? 0), 0);
    const cols = (await mysqlColumns(client, stages[0] as string)) ?? [];
    const existing = await mysqlColumns(client, p.table);
    const added = existing
      ? cols.filter((c) => !existing.some((e) => e.toLowerCase() === c.toLowerCase()))
      : [];
    if (added.length)
      throw fail(
        'partition.schema_mismatch',
        `step '${step.id}': the input has column${added.length > 1 ? 's' : ''} ${added.map((c) => `'${c}'`).join(', ')} that table '${shown}' lacks; a partitioned copy into MySQL does not add columns (MySQL cannot add them inside the swap's transaction); nothing was swapped, the target is unchanged`,
        `add ${added.length > 1 ? 'them' : 'it'} to ${shown} first (ALTER TABLE … ADD COLUMN), or run the copy once without partition`,
      );
    const list = cols.map(q).join(', ');
    const union = stages.map((s) => `SELECT ${list} FROM ${q(s)}`).join(' UNION ALL ');
    const columns = await mysqlColumnTypes(client, stages[0] as string);
    const keys = p.mode === 'upsert' ? p.primaryKey : await mysqlPrimaryKey(client, p.table, cols);
    const check = (moved: string | undefined, movedShown: string, movedRows: number) =>
      verifySwap({
        stepId: step.id,
        table: shown,
        staged: union,
        moved: p.verify ? moved : undefined,
        movedShown,
        columns,
        stagedRows,
        movedRows,
        profile: (from, checks) => tableProfile(client, from, checks),
      });
    if (!existing) {
      // DDL commits on its own in MySQL: build the whole table aside, then one atomic RENAME.
      await client.query(`DROP TABLE IF EXISTS ${q(combined)}`);
      await client.query(`CREATE TABLE ${q(combined)} LIKE ${q(stages[0] as string)}`);
      const moved = await client.run(`INSERT INTO ${q(combined)} (${list}) ${union}`);
      const verified = await check(q(combined), 'the whole new table', moved.affectedRows);
      await client.query(`RENAME TABLE ${q(combined)} TO ${q(p.table)}`);
      return { rows: stagedRows, created: true, table: shown, verified };
    }
    if (p.mode === 'replace' && stagedRows === 0 && !p.allowEmpty)
      throw fail(
        'partition.empty_input',
        `step '${step.id}': every partition was empty; refusing to replace the contents of ${shown} with nothing`,
        'set allow_empty: true on the writer to empty the table on purpose',
      );
    let verified: JsonObject;
    await client.query('START TRANSACTION');
    try {
      if (p.mode === 'replace') await client.query(`DELETE FROM ${q(p.table)}`);
      let tail = '';
      if (p.mode === 'upsert') {
        const keys = new Set(p.primaryKey.map((k) => k.toLowerCase()));
        const rest = cols.filter((c) => !keys.has(c.toLowerCase()));
        const first = cols[0] as string;
        tail = ` ON DUPLICATE KEY UPDATE ${(rest.length ? rest : [first]).map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ')}`;
      }
      // `SELECT * FROM (… UNION ALL …)`: MySQL takes ON DUPLICATE KEY UPDATE after a derived table only.
      const moved = await client.run(
        `INSERT INTO ${q(p.table)} (${list}) SELECT * FROM (${union}) AS osiris_parts${tail}`,
      );
      // ON DUPLICATE KEY UPDATE counts an updated row twice and an unchanged one zero times.
      const movedRows = p.mode === 'upsert' ? stagedRows : moved.affectedRows;
      const k = keys?.map(q).join(', ');
      verified =
        p.mode === 'replace'
          ? await check(q(p.table), 'the whole table (the swap rewrote it)', movedRows)
          : k
            ? await check(
                `${q(p.table)} WHERE (${k}) IN (SELECT ${k} FROM (${union}) AS osiris_keys)`,
                'the rows whose key is in the staged rows',
                movedRows,
              )
            : await check(
                undefined,
                'the row count (no primary key to tell the appended rows apart)',
                movedRows,
              );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return { rows: stagedRows, created: false, table: shown, verified };
  } catch (error) {
    throw describeSwapError(step, shown, error);
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${q(combined)}`).catch(() => undefined);
    await client.end().catch(() => client.abort());
  }
}

/** A Postgres table's columns in order, with their full types (for ALTER TABLE ADD COLUMN and the verification). */
async function pgColumnTypes(client: PgSession['client'], qualified: string): Promise<SwapColumn[]> {
  const r = await client.query<{ name: string; type: string }>(
    `SELECT attname::text AS name, pg_catalog.format_type(atttypid, atttypmod) AS type FROM pg_catalog.pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [qualified],
  );
  return r.rows;
}

/** The data types of a MySQL table's columns, for the swap's verification. */
async function mysqlColumnTypes(client: MysqlClient, table: string): Promise<SwapColumn[]> {
  const rows = await client.rows(
    `SELECT COLUMN_NAME AS n, DATA_TYPE AS t FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return rows.map((r) => ({ name: String(r.n), type: String(r.t) }));
}

/** The table's primary key when every column of it is copied (an append's rows can then be found by it). */
async function mysqlPrimaryKey(
  client: MysqlClient,
  table: string,
  cols: readonly string[],
): Promise<string[] | undefined> {
  const rows = await client.rows(
    `SELECT COLUMN_NAME AS c FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
    [table],
  );
  const key = rows.map((r) => String(r.c));
  const copied = new Set(cols.map((c) => c.toLowerCase()));
  return key.length && key.every((k) => copied.has(k.toLowerCase())) ? key : undefined;
}
