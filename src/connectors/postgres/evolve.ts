/**
 * Schema evolution for postgres.writer / supabase.writer (docs/adr/0025): inside the load's transaction,
 * before any row is copied, new input columns are added to the target and — with `schema_evolution: widen` —
 * narrower column types widened (ALTER TABLE is transactional in Postgres: a failed load takes the changes
 * back with it). `fail` refuses any drift with a diff of the two schemas before the target is touched.
 */
import type pg from 'pg';
import type { ColumnInfo } from '../../runtime/dataplane.js';
import type { StreamContext } from '../../runtime/driver.js';
import {
  changesFor,
  diffSchemas,
  type ExistingColumn,
  emitChanges,
  parseDecimal,
  type SchemaEvolutionMode,
  widerDecimal,
} from '../schema-evolution.js';
import { pgIdent } from './client.js';
import { pgTypeForDuck } from './types.js';

const INT_RANK: Record<string, number> = { smallint: 1, integer: 2, bigint: 3 };

/**
 * The type `current` widens to for an input that wants `wanted`: wider integers, decimals holding both
 * precisions, real → double precision, varchar(n) → varchar(longest input value). Anything else (a change of
 * kind, a narrowing) is not a widening and stays as it is.
 */
export function pgWiden(current: string, wanted: string, maxLength: number | undefined): string | undefined {
  const ci = INT_RANK[current];
  const wi = INT_RANK[wanted];
  if (ci !== undefined && wi !== undefined) return wi > ci ? wanted : undefined;
  const cd = parseDecimal(current);
  const wd = parseDecimal(wanted);
  if (cd && wd) {
    const to = widerDecimal(cd, wd);
    return to ? `numeric(${to[0]},${to[1]})` : undefined;
  }
  if (cd && wi !== undefined) {
    const to = widerDecimal(cd, [[5, 10, 19][wi - 1] as number, 0]);
    return to ? `numeric(${to[0]},${to[1]})` : undefined;
  }
  if (current === 'real' && wanted === 'double precision') return wanted;
  const vc = /^character varying\((\d+)\)$/.exec(current);
  if (vc && wanted === 'text' && maxLength !== undefined && maxLength > Number(vc[1]))
    return `character varying(${maxLength})`;
  return undefined;
}

export interface EvolvedColumn {
  name: string;
  type: string;
}

/** The target's columns with what a load that omits them needs. */
async function existingColumns(client: pg.Client, qualified: string): Promise<ExistingColumn[]> {
  const r = await client.query<{ name: string; type: string; requires: boolean }>(
    `SELECT a.attname::text AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
            (a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = '') AS requires
     FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [qualified],
  );
  return r.rows.map((c) => ({ name: c.name, type: c.type, requiresValue: c.requires }));
}

export interface PgEvolveTarget {
  /** `"schema"."table"` and `schema.table`. */
  qualified: string;
  shown: string;
  connection: string;
  mode: SchemaEvolutionMode;
}

/**
 * Diffs the input against the existing target and applies the mode's changes in the open transaction;
 * returns the target's columns as they now are, and whether a type changed (which may rewrite the table). `maxLengths` (input tables only) sizes varchar widenings.
 */
export async function evolvePostgresTarget(
  ctx: StreamContext,
  client: pg.Client,
  t: PgEvolveTarget,
  input: readonly ColumnInfo[],
  maxLengths: ((columns: string[]) => Promise<Map<string, number>>) | undefined,
): Promise<{ columns: EvolvedColumn[]; rewritten: boolean }> {
  const existing = await existingColumns(client, t.qualified);
  const wanted = input.map((c) => ({ name: c.name, type: pgTypeForDuck(c.type) }));
  // Longest values only for text inputs bound for a varchar(n) column, and only when widening could use them.
  let lengths = new Map<string, number>();
  if (maxLengths && t.mode !== 'add_columns') {
    const text = wanted
      .filter((w) => w.type === 'text')
      .filter((w) =>
        existing.some(
          (e) => e.name.toLowerCase() === w.name.toLowerCase() && /^character varying\(/.test(e.type),
        ),
      )
      .map((w) => w.name);
    if (text.length) lengths = await maxLengths(text);
  }
  const diff = diffSchemas(wanted, existing, (current, type, column) =>
    pgWiden(current, type, lengths.get(column)),
  );
  const where = { connection: t.connection, table: t.shown };
  const changes = changesFor(ctx, t.mode, diff, where);
  if (!changes.length) return { columns: existing, rewritten: false };
  const actions = changes.map((c) =>
    c.kind === 'add'
      ? `ADD COLUMN ${pgIdent(c.column)} ${c.type}`
      : `ALTER COLUMN ${pgIdent(c.column)} TYPE ${c.to}`,
  );
  await client.query(`ALTER TABLE ${t.qualified} ${actions.join(', ')}`);
  emitChanges(ctx, where, changes, 'in the load transaction');
  // A type change may rewrite the table: every row then carries this transaction's id (see verify.ts).
  return {
    columns: await existingColumns(client, t.qualified),
    rewritten: changes.some((c) => c.kind === 'widen'),
  };
}
