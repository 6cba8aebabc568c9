/**
 * Schema evolution for mysql.writer (docs/adr/0025). MySQL DDL commits on its own, so the changes cannot
 * ride in the load's transaction:
 * - `replace` (and a new table) loads a staging table: the changes are made there, and arrive with the rows
 *   in the one atomic RENAME — a failed load leaves the target exactly as it was, schema included;
 * - `append` and `upsert` load into (or merge into) the target itself: the changes are one ALTER TABLE just
 *   before the load's transaction, and undone (DROP the added columns, MODIFY widened ones back) when the
 *   load fails. The rows are never changed by a failed load; the schema is back unless the process dies
 *   between the ALTER and the undo, which leaves only nullable added columns or wider types (no row
 *   changed; the next run sees no drift). Copying the table to evolve it behind a swap would cost a full
 *   copy and lose concurrent writers' rows, so it is not done.
 */
import type { StreamContext } from '../../../runtime/driver.js';
import {
  changesFor,
  diffSchemas,
  type ExistingColumn,
  emitChanges,
  matchTarget,
  parseDecimal,
  type SchemaChange,
  type SchemaEvolutionMode,
  widerDecimal,
} from '../../schema-evolution.js';
import { type MysqlClient, quoteMysqlIdent } from '../client.js';
import { type ColumnStats, mysqlTypeForDuckdb } from '../types.js';
import type { InputColumn } from './input.js';
import { inspectTarget, type TargetInfo } from './target.js';

const INT_RANK: Record<string, number> = {
  tinyint: 1,
  smallint: 2,
  mediumint: 3,
  int: 4,
  integer: 4,
  bigint: 5,
};
const INT_DIGITS = [0, 3, 5, 7, 10, 19];

function intType(t: string): { rank: number; unsigned: boolean } | undefined {
  const m = /^(tinyint|smallint|mediumint|int|integer|bigint)(\((\d+)\))?( unsigned)?( zerofill)?$/i.exec(
    t.trim(),
  );
  if (!m) return undefined;
  // TINYINT(1) is how MySQL spells a boolean: not an integer to widen.
  if (m[1]?.toLowerCase() === 'tinyint' && m[3] === '1') return undefined;
  return { rank: INT_RANK[(m[1] as string).toLowerCase()] as number, unsigned: m[4] !== undefined };
}

/** The longest VARCHAR a widening declares before it goes to TEXT (keeps rows under the 64 KiB row limit). */
const VARCHAR_WIDEN_MAX = 4000;

/**
 * The column type `current` (COLUMN_TYPE) widens to for input that wants `wanted` (the type mysql.writer would
 * create), or undefined: wider integers of a compatible sign, decimals holding both precisions, FLOAT →
 * DOUBLE, VARCHAR(n) → the input's longest value (known for an input table only).
 */
export function mysqlWiden(
  current: string,
  wanted: string,
  stats: ColumnStats | undefined,
): string | undefined {
  const ci = intType(current);
  const wi = intType(wanted);
  if (ci && wi) return wi.rank > ci.rank && (ci.unsigned || !wi.unsigned) ? wanted : undefined;
  const cd = parseDecimal(current);
  const wd =
    parseDecimal(wanted) ?? (wi ? ([INT_DIGITS[wi.rank] as number, 0] as [number, number]) : undefined);
  if (cd && wd && /unsigned/i.test(current) === /unsigned/i.test(wanted)) {
    const to = widerDecimal(cd, wd);
    return to && to[0] <= 65 && to[1] <= 38
      ? `DECIMAL(${to[0]},${to[1]})${/unsigned/i.test(current) ? ' UNSIGNED' : ''}`
      : undefined;
  }
  if (/^float$/i.test(current) && /^double$/i.test(wanted)) return 'DOUBLE';
  const vc = /^varchar\((\d+)\)$/i.exec(current);
  const chars = stats?.maxChars ?? undefined;
  if (
    vc &&
    chars !== undefined &&
    chars !== null &&
    chars > Number(vc[1]) &&
    /^(VARCHAR|TEXT|MEDIUMTEXT|LONGTEXT)/i.test(wanted)
  )
    return chars <= VARCHAR_WIDEN_MAX ? `VARCHAR(${chars})` : wanted.replace(/^VARCHAR\(\d+\)$/i, 'TEXT');
  return undefined;
}

interface ColumnDetail extends ExistingColumn {
  dataType: string;
  nullable: boolean;
  default: string | null;
  extra: string;
  charset: string | null;
  collation: string | null;
}

async function existingColumns(client: MysqlClient, table: string): Promise<ColumnDetail[]> {
  const rows = await client.rows(
    `SELECT COLUMN_NAME AS n, COLUMN_TYPE AS ct, DATA_TYPE AS dt, IS_NULLABLE AS nl, COLUMN_DEFAULT AS d, EXTRA AS x,
            CHARACTER_SET_NAME AS cs, COLLATION_NAME AS co
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return rows.map((r) => {
    const nullable = String(r.nl) === 'YES';
    const def = r.d === null || r.d === undefined ? null : String(r.d);
    const extra = String(r.x ?? '');
    const generated = /auto_increment|generated|virtual|persistent|stored/i.test(extra);
    return {
      name: String(r.n),
      type: String(r.ct),
      dataType: String(r.dt).toLowerCase(),
      nullable,
      default: def,
      extra,
      charset: r.cs === null || r.cs === undefined ? null : String(r.cs),
      collation: r.co === null || r.co === undefined ? null : String(r.co),
      requiresValue: !nullable && def === null && !generated,
    };
  });
}

/**
 * A column's full definition with another type: MODIFY forgets what it is not told, so NULL-ness, default,
 * auto-increment, character set and collation are restated. MariaDB reports defaults as SQL (quoted
 * literals, expressions), MySQL as bare values (expressions flagged DEFAULT_GENERATED).
 */
function definition(c: ColumnDetail, type: string, mariadb: boolean): string {
  const parts = [quoteMysqlIdent(c.name), type];
  if (c.charset && /char|text|enum|set/i.test(type)) parts.push(`CHARACTER SET ${c.charset}`);
  if (c.collation && /char|text|enum|set/i.test(type)) parts.push(`COLLATE ${c.collation}`);
  parts.push(c.nullable ? 'NULL' : 'NOT NULL');
  if (c.default !== null && !(mariadb && c.default === 'NULL'))
    parts.push(
      `DEFAULT ${mariadb || /DEFAULT_GENERATED/i.test(c.extra) ? c.default : `'${c.default.replaceAll("'", "''")}'`}`,
    );
  if (/auto_increment/i.test(c.extra)) parts.push('AUTO_INCREMENT');
  return parts.join(' ');
}

export interface MysqlEvolution {
  /** The target as the load sees it (for replace: with the staging table's new columns). */
  target: TargetInfo;
  /** replace: applies the changes to the staging table, before it is loaded. */
  alterStage?(quotedStage: string): Promise<void>;
  /** append/upsert: the load committed; the changes stay. */
  done(): void;
  /** append/upsert: the load failed; takes the changes back (a warning event if that fails too). */
  undo(): Promise<void>;
}

export interface MysqlEvolveTarget {
  table: string;
  shown: string;
  connection: string;
  writeMode: 'append' | 'replace' | 'upsert';
  mode: SchemaEvolutionMode;
}

const unchanged = (target: TargetInfo): MysqlEvolution => ({ target, done() {}, async undo() {} });

/** Diffs the input against an existing target and applies the mode's changes the way the write mode allows. */
export async function evolveMysqlTarget(
  ctx: StreamContext,
  client: MysqlClient,
  t: MysqlEvolveTarget,
  input: {
    columns: readonly InputColumn[];
    keyColumns: readonly string[];
    stats(): Promise<Map<string, ColumnStats>>;
  },
  target: TargetInfo,
): Promise<MysqlEvolution> {
  if (!target.exists || target.kind !== 'table') return unchanged(target);
  const existing = await existingColumns(client, t.table);
  const isNew = (name: string) => matchTarget(name, existing) === undefined;
  // Lengths size added text columns and varchar widenings: one DuckDB pass, only when they can matter.
  const stats =
    t.mode !== 'add_columns' || input.columns.some((c) => isNew(c.info.name))
      ? await input.stats()
      : new Map();
  const wanted = input.columns.map((c) => ({
    name: c.info.name,
    type:
      mysqlTypeForDuckdb(c.info.type, stats.get(c.info.name), input.keyColumns.includes(c.info.name)) ??
      'TEXT',
  }));
  const diff = diffSchemas(wanted, existing, (current, type, column) =>
    mysqlWiden(current, type, stats.get(column)),
  );
  const where = { connection: t.connection, table: t.shown };
  const changes = changesFor(ctx, t.mode, diff, where);
  if (!changes.length) return unchanged(target);
  const [v] = await client.rows('SELECT VERSION() AS v');
  const mariadb = /mariadb/i.test(`${String(v?.v ?? '')} ${client.serverVersion}`);
  const byName = new Map(existing.map((c) => [c.name, c]));
  const actions = (list: readonly SchemaChange[]) =>
    list.map((c) =>
      c.kind === 'add'
        ? `ADD COLUMN ${quoteMysqlIdent(c.column)} ${c.type} NULL`
        : `MODIFY COLUMN ${definition(byName.get(c.column) as ColumnDetail, c.to, mariadb)}`,
    );
  if (t.writeMode === 'replace') {
    const columns = target.columns.map((c) => {
      const w = changes.find((x) => x.kind === 'widen' && x.column === c.name);
      return w && w.kind === 'widen' ? { ...c, columnType: w.to, dataType: baseType(w.to) } : c;
    });
    for (const c of changes)
      if (c.kind === 'add') columns.push({ name: c.column, columnType: c.type, dataType: baseType(c.type) });
    return {
      target: { ...target, columns },
      async alterStage(quotedStage) {
        await client.query(`ALTER TABLE ${quotedStage} ${actions(changes).join(', ')}`);
        emitChanges(ctx, where, changes, 'on the staging table, swapped in with the rows');
      },
      done() {},
      async undo() {},
    };
  }
  const quoted = quoteMysqlIdent(t.table);
  await client.query(`ALTER TABLE ${quoted} ${actions(changes).join(', ')}`);
  emitChanges(
    ctx,
    where,
    changes,
    'ALTER TABLE before the load (MySQL DDL commits at once); undone if the load fails',
  );
  let committed = false;
  return {
    target: await inspectTarget(client, t.table),
    done() {
      committed = true;
    },
    async undo() {
      if (committed) return;
      const back = changes.map((c) =>
        c.kind === 'add'
          ? `DROP COLUMN ${quoteMysqlIdent(c.column)}`
          : `MODIFY COLUMN ${definition(byName.get(c.column) as ColumnDetail, c.from, mariadb)}`,
      );
      try {
        await client.query(`ALTER TABLE ${quoted} ${back.join(', ')}`);
        ctx.emit('schema.changes_undone', { ...where, changes: changes.map((c) => c.column) });
      } catch (error) {
        ctx.emit('schema.changes_kept', {
          ...where,
          level: 'warning',
          changes: changes.map((c) => c.column),
          message: `the load failed and its schema changes could not be undone (${error instanceof Error ? error.message : String(error)}); no row was changed`,
        });
      }
    },
  };
}

const baseType = (type: string) => (/^[a-z]+/i.exec(type)?.[0] ?? type).toLowerCase();
