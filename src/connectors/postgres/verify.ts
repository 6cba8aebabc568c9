/**
 * Load verification for postgres.writer / supabase.writer (docs/adr/0025): before COMMIT, the target's rows
 * of this load are aggregated and compared with the rows received (load-verify.ts). Which rows are "this
 * load's": the whole target when the load created or emptied it (replace); the rows whose key is in the
 * staging table (upsert); for append, the rows this transaction wrote (`xmin` is its id) — a scan of the
 * target, whose cost grows with the table — or, when a widening rewrote the table in this transaction (every
 * row then carries its xmin), the table's figures after minus before. An append into a large table goes
 * through a stage instead, and its rows are aggregated as `INSERT … RETURNING` hands them back (scope
 * `inserted`): the check then costs the load's size, not the table's.
 */
import type pg from 'pg';
import type { ColumnInfo } from '../../runtime/dataplane.js';
import type { StreamContext } from '../../runtime/driver.js';
import {
  type Check,
  checkForDuckType,
  compareProfiles,
  deltaProfile,
  fromRow,
  type Profile,
  type ReceivedSide,
  settleVerification,
  type VerifyColumn,
} from '../load-verify.js';
import { pgIdent } from './client.js';

/** The check a target column of this type can back for an input of `duckType`. */
function pgCheck(duckType: string, targetType: string): Check {
  const check = checkForDuckType(duckType);
  const tz = /TIME ZONE|TIMESTAMPTZ/i.test(duckType);
  switch (check) {
    case 'sum':
      return /^(smallint|integer|bigint|numeric)\b/.test(targetType) ? 'sum' : 'nulls';
    case 'fsum':
      return /^(real|double precision|numeric)\b/.test(targetType) ? 'fsum' : 'nulls';
    case 'date':
      return targetType === 'date' ? 'date' : 'nulls';
    case 'ts':
      return new RegExp(`^timestamp(\\(\\d\\))? with${tz ? '' : 'out'} time zone$`).test(targetType)
        ? 'ts'
        : 'nulls';
    default:
      return 'nulls';
  }
}

/** Epoch microseconds, or 'infinity' / '-infinity' as DuckDB spells them too. */
const finiteEpoch = (v: string) =>
  `CASE WHEN isfinite(${v}) THEN round(extract(epoch FROM ${v}) * 1000000)::bigint::text ELSE ${v}::text END`;

function targetAggregates(c: VerifyColumn): string[] {
  const x = pgIdent(c.target);
  const [a, b] =
    c.check === 'sum'
      ? [`sum(${x})::text`, 'NULL']
      : c.check === 'fsum'
        ? [`sum(${x}::float8)::text`, 'NULL']
        : c.check === 'date'
          ? [`min(${x})::text`, `max(${x})::text`]
          : c.check === 'ts'
            ? [finiteEpoch(`min(${x})`), finiteEpoch(`max(${x})`)]
            : ['NULL', 'NULL'];
  return [`(count(*) - count(${x}))::text`, `${a}`, `${b}`];
}

/** Which of the target's rows belong to this load. */
export type LoadScope =
  | { kind: 'table' }
  | { kind: 'transaction'; xid?: string }
  | { kind: 'keys'; stage: string; keys: string[] }
  /** The table's figures before and after the load, subtracted (an append after a table rewrite). */
  | { kind: 'delta' }
  /** Verifying inserts the stage's rows into the target and aggregates what RETURNING gives back. */
  | { kind: 'inserted'; stage: string; columns: string };

function scopeSql(qualified: string, scope: LoadScope): { with?: string; from: string; shown: string } {
  switch (scope.kind) {
    case 'inserted':
      return {
        with: `osiris_inserted AS (INSERT INTO ${qualified} (${scope.columns}) SELECT ${scope.columns} FROM ${scope.stage} RETURNING ${scope.columns})`,
        from: 'osiris_inserted',
        shown: 'the rows this load inserted (as the table stored them)',
      };
    case 'table':
      return { from: qualified, shown: 'the whole table (this load wrote all of it)' };
    case 'delta':
      return { from: qualified, shown: 'the table after the load minus before it' };
    case 'transaction':
      // A literal: `xmin = <expression>` evaluates the expression per row (5× slower on 1M rows).
      return {
        from: `${qualified} WHERE xmin = '${scope.xid}'::xid`,
        shown: 'the rows this transaction wrote (xmin)',
      };
    case 'keys': {
      const k = scope.keys.map(pgIdent).join(', ');
      return {
        from: `${qualified} WHERE (${k}) IN (SELECT ${k} FROM ${scope.stage})`,
        shown: 'the rows whose key is in this load',
      };
    }
  }
}

export interface PgVerifyLoad {
  connection: string;
  qualified: string;
  shown: string;
  /** Input columns and the target columns they went to, in the same order. */
  columns: readonly ColumnInfo[];
  targetNames: readonly string[];
  targetTypes: ReadonlyMap<string, string>;
  received: ReceivedSide;
}

/** The aggregates of `checks` over the rows `from` names (a FROM clause, with an optional WITH). */
export async function targetProfile(
  client: pg.Client,
  from: { with?: string; from: string },
  checks: readonly VerifyColumn[],
): Promise<Profile> {
  const parts = ['count(*)::text', ...checks.flatMap(targetAggregates)];
  const text = `${from.with ? `WITH ${from.with} ` : ''}SELECT ${parts.join(', ')} FROM ${from.from}`;
  const r = await client.query({ text, rowMode: 'array' });
  return fromRow((r.rows[0] as (string | null)[] | undefined) ?? [], checks.length);
}

/**
 * Starts verifying a load inside its open transaction — with `baseline`, the table's figures are read now,
 * before any row is written — and returns the check to run after the rows are in, before COMMIT (throws
 * write.verify_mismatch).
 */
export async function startPostgresVerify(
  ctx: StreamContext,
  client: pg.Client,
  v: PgVerifyLoad,
  baseline: boolean,
): Promise<(scope: LoadScope) => Promise<void>> {
  const planned: VerifyColumn[] = v.columns.map((c, i) => {
    const target = v.targetNames[i] as string;
    return { input: c.name, target, check: pgCheck(c.type, v.targetTypes.get(target) ?? '') };
  });
  const before = baseline ? await targetProfile(client, { from: v.qualified }, planned) : undefined;
  return async (scope) => {
    const started = Date.now();
    const { checks, profile: received } = await v.received.profile(planned);
    if (scope.kind === 'transaction' && !before) {
      // xmin is the 32-bit id of the transaction that wrote the row version; txid_current() adds an epoch.
      const r = await client.query<{ x: string }>('SELECT (txid_current() % 4294967296)::text AS x');
      scope.xid = String(Number(r.rows[0]?.x));
    }
    const sql = scopeSql(v.qualified, before ? { kind: 'delta' } : scope);
    let loaded = await targetProfile(client, sql, checks);
    if (before) loaded = deltaProfile(checks, before, loaded, received);
    const outcome = compareProfiles(checks, received, loaded, sql.shown);
    settleVerification(ctx, { connection: v.connection, table: v.shown }, outcome, started);
  };
}

/** Above this many rows (the planner's estimate), an append is staged so verifying it does not scan the table. */
const LARGE_APPEND_TARGET_ROWS = 100_000;

/**
 * Whether an append into this existing table should go through a stage: the table is large and more than
 * ten times the load (`loadRows` undefined when the input streams in). A never-analysed table is sized from
 * its pages (about 100 bytes a row).
 */
export async function stageLargeAppend(
  client: pg.Client,
  qualified: string,
  loadRows: number | undefined,
): Promise<boolean> {
  const r = await client.query<{ n: string }>(
    `SELECT (CASE WHEN c.reltuples < 0 THEN pg_relation_size(c.oid) / 100 ELSE c.reltuples END)::bigint::text AS n
       FROM pg_class c WHERE c.oid = $1::regclass`,
    [qualified],
  );
  const estimate = Number(r.rows[0]?.n ?? 0);
  return estimate >= LARGE_APPEND_TARGET_ROWS && estimate > 10 * (loadRows ?? 0);
}
