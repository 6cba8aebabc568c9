/**
 * Schema evolution shared by the database writers (docs/adr/0025): the input's columns against the existing
 * target's, as a list of changes — columns to add, column types to widen — that the step's
 * `schema_evolution` mode applies (`add_columns`, `widen`) or refuses with a readable diff (`fail`). Target
 * columns the input lacks are left alone: the load omits them, so they take their default (NULL when none);
 * one that is NOT NULL without a default fails before anything is written. Families supply the type rules.
 */
import { closestMatch } from '../diagnostics/suggest.js';
import { StepError, type StreamContext } from '../runtime/driver.js';
import { StepConfig } from '../runtime/step-config.js';

export const SCHEMA_EVOLUTION_MODES = ['add_columns', 'widen', 'fail'] as const;
export type SchemaEvolutionMode = (typeof SCHEMA_EVOLUTION_MODES)[number];

export function evolutionMode(ctx: StreamContext): SchemaEvolutionMode {
  const cfg = StepConfig.of(ctx);
  return cfg.oneOf('schema_evolution', SCHEMA_EVOLUTION_MODES, 'add_columns');
}

export interface ExistingColumn {
  name: string;
  /** The type as the server spells it (format_type / COLUMN_TYPE). */
  type: string;
  /** NOT NULL without a default (nor identity / auto-increment / generated): needs a value from the load. */
  requiresValue: boolean;
}

export interface WantedColumn {
  /** Input name. */
  name: string;
  /** The type the writer would create for it. */
  type: string;
}

export type SchemaChange =
  | { kind: 'add'; column: string; type: string }
  | { kind: 'widen'; column: string; from: string; to: string };

export interface SchemaDiff {
  added: { column: string; type: string }[];
  /** Type differences the family's rules call widenings (the input needs the wider type). */
  widened: { column: string; from: string; to: string }[];
  /** Target columns the input does not have (written as their default / NULL). */
  missing: ExistingColumn[];
}

/** The target column an input column goes to: same name, else the one case-insensitive match. */
export function matchTarget<T extends { name: string }>(name: string, target: readonly T[]): T | undefined {
  const exact = target.find((c) => c.name === name);
  if (exact) return exact;
  const ci = target.filter((c) => c.name.toLowerCase() === name.toLowerCase());
  return ci.length === 1 ? ci[0] : undefined;
}

/** `widen(current, wanted, column)`: the type to widen `current` to, or undefined (no widening needed). */
export function diffSchemas(
  input: readonly WantedColumn[],
  target: readonly ExistingColumn[],
  widen: (current: string, wanted: string, column: string) => string | undefined,
): SchemaDiff {
  const diff: SchemaDiff = { added: [], widened: [], missing: [] };
  const used = new Set<string>();
  for (const c of input) {
    const t = matchTarget(c.name, target);
    if (!t) {
      diff.added.push({ column: c.name, type: c.type });
      continue;
    }
    used.add(t.name);
    const to = widen(t.type, c.type, c.name);
    if (to !== undefined && to !== t.type) diff.widened.push({ column: t.name, from: t.type, to });
  }
  diff.missing = target.filter((t) => !used.has(t.name));
  return diff;
}

/** The two schemas side by side, one line a column. */
export function describeDiff(diff: SchemaDiff): string {
  const lines = [
    ...diff.added.map((a) => `  + ${a.column} ${a.type} (new in the input)`),
    ...diff.widened.map((w) => `  ~ ${w.column} ${w.from} → ${w.to} (the input needs the wider type)`),
    ...diff.missing.map((m) => `  - ${m.name} ${m.type} (not in the input: written as its default / NULL)`),
  ];
  return lines.join('\n');
}

/** The changes the mode applies; `fail` throws (before the target is touched) when there are any. */
export function changesFor(
  ctx: StreamContext,
  mode: SchemaEvolutionMode,
  diff: SchemaDiff,
  where: { connection: string; table: string },
): SchemaChange[] {
  const notNull = diff.missing.filter((m) => m.requiresValue);
  if (notNull.length)
    throw new StepError(
      'write.schema_not_null',
      `step '${ctx.stepId}': ${where.table} has NOT NULL column${notNull.length > 1 ? 's' : ''} ${notNull.map((m) => `'${m.name}'`).join(', ')} without a default, and the input does not have ${notNull.length > 1 ? 'them' : 'it'}; nothing was written`,
      `add the column${notNull.length > 1 ? 's' : ''} to the input (e.g. in a duckdb.processor step), or give ${notNull.length > 1 ? 'them' : 'it'} a default on the target (ALTER TABLE … ALTER COLUMN … SET DEFAULT …)`,
      { details: { ...where, columns: notNull.map((m) => m.name) } },
    );
  const drift = diff.added.length + diff.widened.length > 0;
  const spare = diff.missing.map((m) => m.name);
  const near = diff.added
    .map((a) => [a.column, closestMatch(a.column, spare)] as const)
    .filter(([, m]) => m !== undefined)
    .map(([a, m]) => `'${a}' may be a misspelt '${m}'; `)
    .join('');
  if (mode === 'fail' && drift)
    throw new StepError(
      'write.schema_drift',
      `step '${ctx.stepId}': the input's columns differ from ${where.table} and schema_evolution is 'fail'; nothing was written:\n${describeDiff({ ...diff, missing: [] })}`,
      `${near}change the target table yourself (ALTER TABLE), or set schema_evolution: add_columns (adds new columns) or widen (also widens types)`,
      {
        details: {
          ...where,
          added: diff.added.map((a) => a.column),
          widened: diff.widened.map((w) => w.column),
        },
      },
    );
  const changes: SchemaChange[] = diff.added.map((a) => ({ kind: 'add', column: a.column, type: a.type }));
  if (mode === 'widen')
    for (const w of diff.widened) changes.push({ kind: 'widen', column: w.column, from: w.from, to: w.to });
  return changes;
}

/** One event per applied change: `schema.column_added`, `schema.column_widened`. */
export function emitChanges(
  ctx: StreamContext,
  where: { connection: string; table: string },
  changes: readonly SchemaChange[],
  how: string,
): void {
  for (const c of changes)
    if (c.kind === 'add')
      ctx.emit('schema.column_added', { ...where, column: c.column, type: c.type, applied: how });
    else
      ctx.emit('schema.column_widened', { ...where, column: c.column, from: c.from, to: c.to, applied: how });
}

/** `numeric(p,s)` / `decimal(p,s)` → [p, s]. */
export function parseDecimal(type: string): [number, number] | undefined {
  const m = /^(?:numeric|decimal)\((\d+),\s*(\d+)\)/i.exec(type.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The smallest decimal holding both: max integer digits + max scale; undefined when `current` holds both. */
export function widerDecimal(
  current: [number, number],
  wanted: [number, number],
): [number, number] | undefined {
  const scale = Math.max(current[1], wanted[1]);
  const digits = Math.max(current[0] - current[1], wanted[0] - wanted[1]);
  const p = digits + scale;
  return p > current[0] || scale > current[1] ? [p, scale] : undefined;
}
