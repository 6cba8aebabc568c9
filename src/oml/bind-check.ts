/**
 * Bind check: every table and column a pipeline's SQL uses must exist in the schemas discovered for its
 * connections, before a human is asked to approve the pipeline.
 *
 * Method: an in-memory DuckDB holds *empty* tables of the discovered shape, one attached catalog per
 * connection (`osiris_src_<n>`) with one schema per source schema/database, and DuckDB prepares (binds,
 * never runs) each statement against them:
 * - extractor `query`: MySQL quoting is translated first (backticks → double quotes, double-quoted strings →
 *   single-quoted); the search_path is the connection's schemas, so `table` and `db.table` both bind;
 * - extractor `table` + `columns` (+ `where`): checked against the catalog directly;
 * - `duckdb.processor` `query`: upstream step shapes are empty tables, visible exactly as the runtime shows
 *   them (quoted step id, `df_<id>`, `input_df` for a single input).
 * Each checked step's result shape (names and types) becomes the input of the steps that need it. Only a
 * missing table (SQL001) or column (SQL002) is an error; SQL DuckDB cannot bind for another reason (a
 * dialect function, syntax it does not parse) is a warning (SQL003). Steps whose connection has no discovered
 * schema are skipped, and so are the steps downstream of them.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type Diagnostic, diagnostic, type SourceLocation } from '../diagnostics/diagnostic.js';
import { closestMatch } from '../diagnostics/suggest.js';
import { planInputAliases, quoteIdent, quoteLiteral } from '../runtime/dataplane.js';
import { type DuckDBErrorInfo, messageOf, parseDuckDBError } from '../runtime/duckdb-errors.js';
import { loadDuckDB } from '../util/duckdb-module.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import { stepDependencies } from './dependencies.js';
import { locateInScalar } from './sql-position.js';
import type { OmlStep } from './types.js';

export interface CatalogColumn {
  name: string;
  duckdbType: string;
}

export interface CatalogTable {
  /** Postgres schema or MySQL database; null when the engine has none. */
  schema: string | null;
  name: string;
  columns: CatalogColumn[];
}

/**
 * Discovered tables per connection ref as written in OML (`@mysql.movies`; `@mysql` means the default alias —
 * the caller passes both keys if needed).
 */
export type Catalog = ReadonlyMap<string, readonly CatalogTable[]>;

export interface BindCheckOptions {
  /** Output shapes of steps known without a catalog (e.g. a CSV extractor's header), by step id. */
  stepShapes?: ReadonlyMap<string, readonly CatalogColumn[]>;
  /** Display name for locations (defaults to the document's file). */
  file?: string;
  /**
   * Per connection ref, tables that exist but whose columns are not known (listed, not described): SQL naming
   * one of them is not checked rather than reported as an unknown table.
   */
  undescribed?: ReadonlyMap<string, readonly string[]>;
}

/** Schema (in the main database) holding the empty output tables of checked steps; not on any search_path. */
const STEPS_SCHEMA = 'osiris_steps';
/** Prefix of the attached in-memory catalogs, one per connection. */
const SOURCE_PREFIX = 'osiris_src_';
/** Lists longer than this are summarised in hints. */
const LIST_LIMIT = 20;

type Dialect = 'mysql' | 'postgres' | 'other';

interface StepInfo {
  index: number;
  id: string;
  component: string;
  config: JsonObject | undefined;
}

interface Column {
  name: string;
  type: string;
}

/** A table a statement may read, with the names SQL can use for it. */
interface ScopeTable {
  /** How messages name it. */
  display: string;
  /** DuckDB schema (source tables) or undefined (step inputs). */
  schema: string | undefined;
  names: string[];
  columns: Column[];
}

interface Scope {
  /** `in @mysql.movies`, or `among the inputs of step 'x'`. */
  where: string;
  /** The connection ref of a source scope. */
  ref?: string;
  kind: 'source' | 'steps';
  tables: ScopeTable[];
}

interface Source {
  ref: string;
  catalogName: string;
  /** `created` is false when DuckDB could not hold the table (no columns, a name clash ignoring case). */
  tables: Array<ScopeTable & { schema: string; name: string; created: boolean }>;
  /** DuckDB schemas in catalog order. */
  schemas: string[];
}

/** A SQL text as written and as handed to DuckDB, with a map from DuckDB's indexes back to the original. */
interface SqlText {
  original: string;
  duck: string;
  /** `map[i]` = index in `original` of `duck[i]` (absent when the two are the same). */
  map: number[] | undefined;
}

interface TableRef {
  catalog: string;
  schema: string;
  table: string;
  alias: string;
}

type BindResult =
  | { ok: true; columns: Column[] }
  | { ok: false; error: DuckDBErrorInfo }
  | { ok: false; statements: number };

/**
 * Checks the SQL of every extractor (with a discovered connection) and `duckdb.processor` step of `doc`
 * against `catalog`. Never throws; an internal failure becomes one SQL003 warning.
 */
export async function bindCheckPipeline(
  doc: LocatedDocument,
  catalog: Catalog,
  options: BindCheckOptions = {},
): Promise<Diagnostic[]> {
  return (await bindCheck(doc, catalog, options)).diagnostics;
}

/** A step with SQL (or a table read): whether the bind check could check it, and why not. */
export interface StepCheck {
  stepId: string;
  checked: boolean;
  reason?: string;
}

export interface BindCheckResult {
  diagnostics: Diagnostic[];
  /** Extractors with a connection and `duckdb.processor` steps, in step order. */
  steps: StepCheck[];
}

/** `bindCheckPipeline` that also says which steps were checked and why the others were not. */
export async function bindCheck(
  doc: LocatedDocument,
  catalog: Catalog,
  options: BindCheckOptions = {},
): Promise<BindCheckResult> {
  const out: Diagnostic[] = [];
  const coverage: StepCheck[] = [];
  const result = (): BindCheckResult => ({ diagnostics: out, steps: coverage });
  const file = options.file ?? doc.file;
  let steps: StepInfo[];
  let deps: Map<string, string[]>;
  try {
    ({ steps, deps } = readSteps(doc.value));
  } catch {
    return result();
  }
  const sourceRefs = new Set<string>();
  let processors = 0;
  for (const step of steps) {
    const ref = extractorConnection(step);
    if (ref !== undefined && catalog.has(ref)) sourceRefs.add(ref);
    if (isProcessor(step)) processors++;
  }
  const stepShapes = options.stepShapes ?? new Map<string, readonly CatalogColumn[]>();
  const sqlSteps = steps.filter((s) => isProcessor(s) || extractorConnection(s) !== undefined);
  if (sourceRefs.size === 0 && processors === 0) {
    for (const step of sqlSteps) {
      const ref = extractorConnection(step) as string;
      coverage.push({ stepId: step.id, checked: false, reason: `no discovered schema for ${ref}` });
    }
    return result();
  }

  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  try {
    instance = await loadDuckDB().DuckDBInstance.create(':memory:', {
      enable_external_access: 'false',
      autoinstall_known_extensions: 'false',
      threads: '1',
    });
    conn = await instance.connect();
    const checker = new Checker(conn, doc, file, out, options.undescribed);
    await checker.setup(catalog, sourceRefs);
    await checker.run(steps, deps, catalog, stepShapes);
    for (const step of sqlSteps) {
      const c = checker.coverage.get(step.id) ?? { checked: false, reason: 'nothing to check' };
      coverage.push({ stepId: step.id, ...c });
    }
  } catch (error) {
    out.push(
      diagnostic(
        'warning',
        'SQL003',
        `the SQL of the pipeline could not be checked against the discovered schema: ${firstLine(messageOf(error))}`,
        { file },
        { hint: 'the check was skipped; the validator and the run still check the pipeline' },
      ),
    );
  } finally {
    try {
      conn?.closeSync();
    } finally {
      instance?.closeSync();
    }
  }
  return result();
}

function readSteps(value: JsonValue | undefined): { steps: StepInfo[]; deps: Map<string, string[]> } {
  const raw = isJsonObject(value) && Array.isArray(value.steps) ? value.steps : [];
  const counts = new Map<string, number>();
  for (const item of raw) {
    if (isJsonObject(item) && typeof item.id === 'string')
      counts.set(item.id, (counts.get(item.id) ?? 0) + 1);
  }
  const steps: StepInfo[] = [];
  const typed: OmlStep[] = [];
  raw.forEach((item, index) => {
    if (!isJsonObject(item) || typeof item.id !== 'string' || typeof item.component !== 'string') return;
    // A repeated id is the validator's to report; which table it names is ambiguous here.
    if ((counts.get(item.id) ?? 0) > 1) return;
    const config = isJsonObject(item.config) ? item.config : undefined;
    steps.push({ index, id: item.id, component: item.component, config });
    const step: OmlStep = { id: item.id, component: item.component, mode: 'transform' };
    if (Array.isArray(item.needs)) step.needs = item.needs.filter((n): n is string => typeof n === 'string');
    else if (item.needs !== undefined) step.needs = [];
    if (isJsonObject(item.inputs)) {
      step.inputs = Object.fromEntries(
        Object.entries(item.inputs).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
    } else if (item.inputs !== undefined) step.inputs = {};
    typed.push(step);
  });
  return { steps, deps: stepDependencies(typed) };
}

const isProcessor = (step: StepInfo): boolean => step.component === 'duckdb.processor';

function extractorConnection(step: StepInfo): string | undefined {
  if (!step.component.endsWith('.extractor')) return undefined;
  const ref = step.config?.connection;
  return typeof ref === 'string' ? ref : undefined;
}

function dialectOf(component: string, ref: string): Dialect {
  const family = component.split('.')[0] ?? '';
  const refFamily = /^@([^.]+)/.exec(ref)?.[1] ?? '';
  if (family === 'mysql' || family === 'mariadb' || refFamily === 'mysql' || refFamily === 'mariadb')
    return 'mysql';
  if (family === 'postgres' || family === 'supabase' || refFamily === 'postgres' || refFamily === 'supabase')
    return 'postgres';
  return 'other';
}

class Checker {
  /** Per SQL-bearing step: whether its SQL was bound, and why not. */
  readonly coverage = new Map<string, { checked: boolean; reason?: string }>();
  private readonly sources = new Map<string, Source>();
  private readonly typeOk = new Map<string, boolean>();
  /** `<main database>.osiris_steps`, qualified so it resolves whatever the search_path. */
  private steps = STEPS_SCHEMA;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly doc: LocatedDocument,
    private readonly file: string,
    private readonly out: Diagnostic[],
    private readonly undescribed: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {}

  /** Whether `name` is a table of `ref` whose columns are not known: then the step is not checked. */
  private notDescribed(step: StepInfo, ref: string | undefined, name: string): boolean {
    const bare = lastSegment(name).toLowerCase();
    const hit = ref !== undefined && this.undescribed.get(ref)?.some((t) => t.toLowerCase() === bare);
    if (hit)
      this.skip(step, `table '${lastSegment(name)}' of ${ref} has not been described yet; pass --discover`);
    return Boolean(hit);
  }

  /** Creates the empty source tables of every connection an extractor uses. */
  async setup(catalog: Catalog, refs: ReadonlySet<string>): Promise<void> {
    await this.conn.run('SET errors_as_json = true');
    const db = (await this.conn.runAndReadAll('SELECT current_database()')).getRows()[0]?.[0];
    this.steps = `${quoteIdent(String(db ?? 'memory'))}.${STEPS_SCHEMA}`;
    await this.conn.run(`CREATE SCHEMA ${this.steps}`);
    let n = 0;
    for (const ref of refs) {
      n++;
      const catalogName = `${SOURCE_PREFIX}${n}`;
      await this.conn.run(`ATTACH ':memory:' AS ${catalogName}`);
      const source: Source = { ref, catalogName, tables: [], schemas: [] };
      const tables = catalog.get(ref);
      for (const table of Array.isArray(tables) ? (tables as readonly CatalogTable[]) : []) {
        if (!table || typeof table.name !== 'string') continue;
        const schema = typeof table.schema === 'string' && table.schema !== '' ? table.schema : 'main';
        if (!source.schemas.some((s) => s.toLowerCase() === schema.toLowerCase())) {
          source.schemas.push(schema);
          await this.conn.run(`CREATE SCHEMA IF NOT EXISTS ${catalogName}.${quoteIdent(schema)}`);
        }
        const columns = await this.columnsOf(Array.isArray(table.columns) ? table.columns : []);
        const entry = {
          display: table.name,
          schema,
          name: table.name,
          names: [table.name],
          columns,
          created: false,
        };
        source.tables.push(entry);
        if (columns.length === 0) continue;
        try {
          await this.conn.run(
            `CREATE TABLE ${catalogName}.${quoteIdent(schema)}.${quoteIdent(table.name)} (${columnDefs(columns)})`,
          );
          entry.created = true;
        } catch {
          // e.g. two tables whose names differ only in case: DuckDB's catalog is case-insensitive
        }
      }
      this.sources.set(ref, source);
    }
  }

  /** Distinct (case-insensitively) columns with types DuckDB accepts (VARCHAR otherwise). */
  private async columnsOf(list: readonly CatalogColumn[]): Promise<Column[]> {
    const seen = new Set<string>();
    const out: Column[] = [];
    for (const col of list) {
      if (!col || typeof col.name !== 'string' || seen.has(col.name.toLowerCase())) continue;
      seen.add(col.name.toLowerCase());
      const type = typeof col.duckdbType === 'string' ? col.duckdbType.trim() : '';
      out.push({ name: col.name, type: (await this.validType(type)) ? type : 'VARCHAR' });
    }
    return out;
  }

  private async validType(type: string): Promise<boolean> {
    const known = this.typeOk.get(type);
    if (known !== undefined) return known;
    let ok = false;
    if (/^[A-Za-z0-9_ ,()."'[\]]+$/.test(type) && !type.includes('--')) {
      try {
        const prepared = await this.conn.prepare(`SELECT CAST(NULL AS ${type})`);
        ok = prepared.columnCount === 1 && prepared.columnType(0).toString() !== 'NULL';
        prepared.destroySync();
      } catch {
        ok = false;
      }
    }
    this.typeOk.set(type, ok);
    return ok;
  }

  async run(
    steps: readonly StepInfo[],
    deps: ReadonlyMap<string, string[]>,
    catalog: Catalog,
    known: ReadonlyMap<string, readonly CatalogColumn[]>,
  ): Promise<void> {
    /** Output shape per processed step; null = no known shape (not checked, failed, or a writer). */
    const shapes = new Map<string, Column[] | null>();
    let pending = [...steps];
    for (;;) {
      const next: StepInfo[] = [];
      for (const step of pending) {
        const given = known.get(step.id);
        if (given && !isProcessor(step)) {
          const columns = given.map((c) => ({ name: c.name, type: c.duckdbType }));
          shapes.set(step.id, await this.guarded(step, async () => columns));
          continue;
        }
        if (!isProcessor(step)) {
          const ref = extractorConnection(step);
          const known = ref !== undefined && catalog.has(ref);
          if (ref !== undefined && !known) this.skip(step, `no discovered schema for ${ref}`);
          else if (known) this.coverage.set(step.id, { checked: true });
          shapes.set(step.id, known ? await this.guarded(step, () => this.extractor(step, ref)) : null);
          continue;
        }
        const needs = deps.get(step.id) ?? [];
        if (!needs.every((id) => shapes.has(id))) {
          next.push(step);
          continue;
        }
        const inputs: InputShape[] = [];
        for (const id of needs) {
          const columns = shapes.get(id);
          if (columns) inputs.push({ id, columns });
        }
        // An input without a known shape (unchecked upstream, writer, failed check) leaves nothing to bind.
        const missing = needs.find((id) => !shapes.get(id));
        if (missing !== undefined) this.skip(step, `the shape of its input '${missing}' is not known`);
        else if (typeof step.config?.query === 'string') this.coverage.set(step.id, { checked: true });
        shapes.set(
          step.id,
          inputs.length === needs.length
            ? await this.guarded(step, () => this.processor(step, inputs))
            : null,
        );
      }
      // Steps left waiting depend on unknown steps or on a cycle: nothing to bind them against.
      if (next.length === pending.length || next.length === 0) {
        for (const step of next) this.skip(step, 'its inputs could not be resolved');
        break;
      }
      pending = next;
    }
  }

  private skip(step: StepInfo, reason: string): void {
    this.coverage.set(step.id, { checked: false, reason });
  }

  /**
   * Runs one step's check and stores its result shape as the empty table `osiris_steps."<id>"`; an
   * unexpected failure becomes an SQL003 warning and leaves the step without a shape.
   */
  private async guarded(step: StepInfo, check: () => Promise<Column[] | null>): Promise<Column[] | null> {
    try {
      const columns = await check();
      if (!columns || columns.length === 0) return null;
      await this.conn.run(`CREATE TABLE ${this.steps}.${quoteIdent(step.id)} (${columnDefs(columns)})`);
      return columns;
    } catch (error) {
      if (this.coverage.has(step.id)) this.skip(step, 'DuckDB could not prepare the check');
      this.push(
        'warning',
        'SQL003',
        step,
        `step '${step.id}': its SQL could not be checked against the discovered schema: ${firstLine(parseDuckDBError(error).message)}`,
        this.loc(step),
        'the check was skipped for this step and the steps that read it',
      );
      return null;
    }
  }

  private path(step: StepInfo, ...path: (string | number)[]): (string | number)[] {
    return ['steps', step.index, 'config', ...path];
  }

  private loc(step: StepInfo, ...path: (string | number)[]): SourceLocation {
    return { ...this.doc.locate(this.path(step, ...path), 'value'), file: this.file };
  }

  private push(
    severity: 'error' | 'warning',
    code: string,
    step: StepInfo,
    message: string,
    location: SourceLocation,
    hint?: string,
  ): void {
    this.out.push(
      diagnostic(severity, code, message, location, { stepId: step.id, ...(hint ? { hint } : {}) }),
    );
  }

  // ── extractors ─────────────────────────────────────────────────────────────────────────────────────

  private async extractor(step: StepInfo, ref: string): Promise<Column[] | null> {
    const source = this.sources.get(ref);
    const config = step.config;
    if (!source || !config) return null;
    const dialect = dialectOf(step.component, ref);
    const schemaOpt = typeof config.schema === 'string' && config.schema !== '' ? config.schema : undefined;
    if (typeof config.query === 'string')
      return this.extractorQuery(step, source, dialect, config.query, schemaOpt);
    if (typeof config.table === 'string')
      return this.extractorTable(step, source, dialect, config, schemaOpt);
    return null;
  }

  private sourceScope(source: Source): Scope {
    return { where: `in ${source.ref}`, ref: source.ref, kind: 'source', tables: source.tables };
  }

  private async useSource(source: Source, preferred: string | undefined): Promise<void> {
    const schemas = [...source.schemas];
    const first = preferred ? schemas.findIndex((s) => s.toLowerCase() === preferred.toLowerCase()) : -1;
    if (first > 0) schemas.unshift(...schemas.splice(first, 1));
    const path = schemas.map((s) => `${quoteIdent(source.catalogName)}.${quoteIdent(s)}`).join(',');
    await this.conn.run(`SET search_path = ${quoteLiteral(path || `${source.catalogName}.main`)}`);
  }

  private async extractorQuery(
    step: StepInfo,
    source: Source,
    dialect: Dialect,
    query: string,
    schema: string | undefined,
  ): Promise<Column[] | null> {
    const text = sqlText(query, dialect);
    await this.useSource(source, schema);
    const result = await this.bind(text.duck);
    const checked = await this.report(step, result, text, '', this.sourceScope(source), 'query', dialect);
    return checked ? uniqueNames(checked, 2) : null;
  }

  private async extractorTable(
    step: StepInfo,
    source: Source,
    dialect: Dialect,
    config: JsonObject,
    schemaOpt: string | undefined,
  ): Promise<Column[] | null> {
    const raw = (config.table as string).trim();
    let schema = schemaOpt;
    let name = raw;
    const dot = raw.indexOf('.');
    if (dialect === 'mysql' && dot > 0 && dot < raw.length - 1 && raw.indexOf('.', dot + 1) === -1) {
      schema = raw.slice(0, dot);
      name = raw.slice(dot + 1);
    }
    const lenient = dialect === 'mysql';
    const same = (a: string, b: string, loose: boolean) =>
      a === b || (loose && a.toLowerCase() === b.toLowerCase());
    const find = (loose: boolean) =>
      source.tables.find(
        (t) => same(t.name, name, loose) && (schema === undefined || same(t.schema, schema, true)),
      );
    const table = find(false) ?? find(lenient);
    if (!table) {
      if (this.notDescribed(step, source.ref, name)) return null;
      const names = source.tables.map((t) => t.name);
      const near = closestMatch(name, names);
      this.push(
        'error',
        'SQL001',
        step,
        `unknown table '${raw}' in ${source.ref}${schemaOpt ? ` (schema '${schemaOpt}')` : ''}`,
        this.loc(step, 'table'),
        tableHint(near, names),
      );
      return null;
    }
    let columns = table.columns;
    let bad = false;
    if (Array.isArray(config.columns)) {
      const picked: Column[] = [];
      config.columns.forEach((entry, i) => {
        if (typeof entry !== 'string') return;
        const col =
          table.columns.find((c) => c.name === entry) ??
          table.columns.find((c) => same(c.name, entry, lenient));
        if (col) {
          picked.push(col);
          return;
        }
        bad = true;
        const names = table.columns.map((c) => c.name);
        this.push(
          'error',
          'SQL002',
          step,
          `unknown column '${entry}' of table '${table.name}' in ${source.ref}`,
          this.loc(step, 'columns', i),
          columnHint(closestMatch(entry, names), table),
        );
      });
      columns = picked;
    }
    if (typeof config.where === 'string' && config.where.trim() !== '' && table.created) {
      const text = sqlText(config.where, dialect);
      const qualified = `${quoteIdent(source.catalogName)}.${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
      const prefix = `SELECT * FROM ${qualified} WHERE (\n`;
      await this.useSource(source, table.schema);
      const result = await this.bind(`${prefix}${text.duck}\n)`);
      const scope: Scope = { ...this.sourceScope(source), tables: [table] };
      if (!(await this.report(step, result, text, prefix, scope, 'where', dialect))) bad = true;
    }
    return bad || columns.length === 0 ? null : columns;
  }

  // ── processors ─────────────────────────────────────────────────────────────────────────────────────

  private async processor(step: StepInfo, inputs: InputShape[]): Promise<Column[] | null> {
    const query = step.config?.query;
    if (typeof query !== 'string') return null;
    const stepInputs = inputs.map((i) => ({ stepId: i.id, table: `${this.steps}.${quoteIdent(i.id)}` }));
    const aliases = planInputAliases(stepInputs);
    const created: string[] = [];
    await this.conn.run('RESET search_path');
    try {
      for (const alias of aliases) {
        const view = quoteIdent(alias.name);
        await this.conn.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT * FROM ${alias.table}`);
        created.push(view);
      }
      const scope: Scope = {
        where: `among the inputs of step '${step.id}'`,
        kind: 'steps',
        tables: inputs.map((i) => ({
          display: i.id,
          schema: undefined,
          names: aliases.filter((a) => a.stepId === i.id).map((a) => a.name),
          columns: i.columns,
        })),
      };
      const text = sqlText(query, 'other');
      const result = await this.bind(query);
      const checked = await this.report(step, result, text, '', scope, 'query', 'other');
      if (!checked) return null;
      return uniqueNames(checked, 1);
    } finally {
      for (const view of created.reverse()) await this.conn.run(`DROP VIEW IF EXISTS temp.main.${view}`);
    }
  }

  // ── binding and reporting ──────────────────────────────────────────────────────────────────────────

  /** Prepares (binds, never runs) the single statement in `sql`. */
  private async bind(sql: string): Promise<BindResult> {
    try {
      const extracted = await this.conn.extractStatements(sql);
      if (extracted.count !== 1) return { ok: false, statements: extracted.count };
      const prepared = await extracted.prepare(0);
      try {
        const columns: Column[] = [];
        for (let i = 0; i < prepared.columnCount; i++) {
          const type = prepared.columnType(i).toString();
          columns.push({
            name: prepared.columnName(i),
            type: (await this.validType(type)) ? type : 'VARCHAR',
          });
        }
        return { ok: true, columns };
      } finally {
        prepared.destroySync();
      }
    } catch (error) {
      return { ok: false, error: parseDuckDBError(error) };
    }
  }

  /** Turns a bind result into diagnostics; returns the result columns when the SQL bound. */
  private async report(
    step: StepInfo,
    result: BindResult,
    text: SqlText,
    prefix: string,
    scope: Scope,
    key: 'query' | 'where',
    dialect: Dialect,
  ): Promise<Column[] | undefined> {
    if (result.ok) return result.columns.length ? result.columns : undefined;
    const what = key === 'query' ? 'query' : 'where condition';
    if ('statements' in result) {
      if (result.statements > 1)
        this.push(
          'warning',
          'SQL003',
          step,
          `step '${step.id}': the ${what} holds ${result.statements} statements; only a single statement can be checked`,
          this.loc(step, key),
          'write one SELECT (use WITH … for intermediate results)',
        );
      return undefined;
    }
    const info = result.error;
    const at = sqlPosition(text, prefix, info);
    // Exactly where in the YAML file when the scalar allows it; else the scalar's start plus the SQL position.
    const exact = at ? locateInScalar(this.doc, this.path(step, key), at.index) : undefined;
    const location = exact ? { ...this.loc(step, key), ...exact, file: this.file } : this.loc(step, key);
    const atText = at && !exact ? ` (${what} line ${at.line}, column ${at.col})` : '';
    const problem = classify(info);
    if (problem.kind === 'other') {
      const engine = dialect === 'mysql' ? 'MySQL' : dialect === 'postgres' ? 'PostgreSQL' : undefined;
      // DuckDB is the engine of a duckdb.processor: a syntax error there is certain to fail the run.
      if (!engine && info.type === 'Parser') {
        this.push(
          'error',
          'SQL004',
          step,
          `step '${step.id}': the ${what} is not valid DuckDB SQL (${firstLine(info.message)})${atText}`,
          location,
          'fix the syntax; duckdb.processor runs this query in DuckDB',
        );
        return undefined;
      }
      const hint = engine
        ? `DuckDB checks the names in this SQL; it may still be valid ${engine}, but its tables and columns were not checked`
        : 'duckdb.processor runs this query in DuckDB, so it is likely to fail at run time';
      this.push(
        'warning',
        'SQL003',
        step,
        `step '${step.id}': the ${what} could not be checked against the discovered schema: DuckDB does not understand it (${info.type ? `${info.type} Error: ` : ''}${firstLine(info.message)})${atText}`,
        location,
        hint,
      );
      return undefined;
    }
    const refs = await this.tableRefs(prefix + text.duck);
    if (problem.kind === 'table') {
      if (!problem.alias && this.notDescribed(step, scope.ref, problem.name)) return undefined;
      const bare = lastSegment(problem.name);
      const names =
        scope.kind === 'source' ? scope.tables.map((t) => t.display) : scope.tables.flatMap((t) => t.names);
      const pool = problem.alias ? problem.candidates : names;
      const near = closestMatch(bare, pool) ?? (problem.alias ? problem.candidates[0] : undefined);
      const label = problem.alias ? 'table or alias' : 'table';
      const hint =
        scope.kind === 'source' && !problem.alias
          ? tableHint(near, names)
          : problem.alias
            ? near
              ? `did you mean '${near}'?`
              : undefined
            : `${near ? `did you mean ${sqlName(near)}? ` : ''}tables this step can read: ${names.map(sqlName).join(', ') || '(none: add the upstream step to needs)'}`;
      this.push(
        'error',
        'SQL001',
        step,
        `unknown ${label} '${problem.name}' ${scope.where}${atText}`,
        location,
        hint,
      );
      return undefined;
    }
    // unknown column
    const resolve = (ref: TableRef): ScopeTable | undefined =>
      scope.tables.find(
        (t) =>
          t.names.some((n) => n.toLowerCase() === ref.table.toLowerCase()) &&
          (ref.schema === '' ||
            (t.schema !== undefined && t.schema.toLowerCase() === ref.schema.toLowerCase())),
      );
    const inQuery = unique(refs.map(resolve).filter((t): t is ScopeTable => t !== undefined));
    let owner: ScopeTable | undefined;
    let pool: string[];
    if (problem.qualifier !== undefined) {
      const q = problem.qualifier.toLowerCase();
      const ref =
        refs.find((r) => r.alias.toLowerCase() === q) ??
        refs.find((r) => r.alias === '' && r.table.toLowerCase() === q);
      owner = ref ? resolve(ref) : scope.tables.find((t) => t.names.some((n) => n.toLowerCase() === q));
      pool = owner ? owner.columns.map((c) => c.name) : problem.candidates;
    } else {
      pool = inQuery.flatMap((t) => t.columns.map((c) => c.name));
      if (pool.length === 0) pool = problem.candidates;
    }
    const near = closestMatch(problem.column, pool) ?? closestMatch(problem.column, problem.candidates);
    if (!owner) {
      owner =
        near !== undefined
          ? inQuery.find((t) => t.columns.some((c) => c.name === near))
          : inQuery.length === 1
            ? inQuery[0]
            : undefined;
    }
    const of = owner
      ? ` of table '${owner.display}'`
      : problem.qualifier !== undefined
        ? ` of '${problem.qualifier}'`
        : '';
    this.push(
      'error',
      'SQL002',
      step,
      `unknown column '${problem.column}'${of} ${scope.where}${atText}`,
      location,
      columnHint(near, owner),
    );
    return undefined;
  }

  /** Base tables the statement names (with aliases), from DuckDB's own parse tree; [] when unavailable. */
  private async tableRefs(sql: string): Promise<TableRef[]> {
    try {
      const reader = await this.conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
      const json = JSON.parse(String(reader.getRows()[0]?.[0] ?? '{}')) as unknown;
      const refs: TableRef[] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) {
          for (const item of node) walk(item);
          return;
        }
        if (!isJsonObject(node)) return;
        if (node.type === 'BASE_TABLE' && typeof node.table_name === 'string') {
          refs.push({
            catalog: typeof node.catalog_name === 'string' ? node.catalog_name : '',
            schema: typeof node.schema_name === 'string' ? node.schema_name : '',
            table: node.table_name,
            alias: typeof node.alias === 'string' ? node.alias : '',
          });
        }
        for (const value of Object.values(node)) walk(value);
      };
      walk(json);
      return refs;
    } catch {
      return [];
    }
  }
}

interface InputShape {
  id: string;
  columns: Column[];
}

type Problem =
  | { kind: 'table'; name: string; alias: boolean; candidates: string[] }
  | { kind: 'column'; column: string; qualifier: string | undefined; candidates: string[] }
  | { kind: 'other' };

/**
 * Which DuckDB errors mean "this name does not exist". DuckDB 1.x formats (with `errors_as_json`):
 * - Catalog, `Table with name movie does not exist!\nDid you mean "movies"?` (subtype MISSING_ENTRY, name);
 * - Catalog, `Table with name "other.movie" does not exist because schema "other" does not exist.`;
 * - Binder, `Referenced column "ratng" not found in FROM clause!\nCandidate bindings: "rating", …`
 *   (subtype COLUMN_NOT_FOUND, name, candidates `rating,director_id`);
 * - Binder, `Table "m" does not have a column named "ratng"\n\nCandidate bindings: : "rating"`;
 * - Binder, `Referenced table "x" not found!\nCandidate tables: "m"`.
 * Anything else (unknown functions or types, syntax, GROUP BY rules, …) is not about missing names.
 */
function classify(info: DuckDBErrorInfo): Problem {
  const msg = info.message;
  if (info.type === 'Catalog') {
    const m = /^Table with name (.+?) does not exist/.exec(msg);
    if (m) return { kind: 'table', name: info.name ?? unquote(m[1] as string), alias: false, candidates: [] };
    return { kind: 'other' };
  }
  if (info.type !== 'Binder') return { kind: 'other' };
  const table = /^Referenced table "(.+?)" not found/.exec(msg);
  if (table)
    return {
      kind: 'table',
      name: table[1] as string,
      alias: true,
      candidates: quotedAfter(msg, 'Candidate tables:'),
    };
  const qualified = /^(?:Table|Values list) "(.+?)" does not have a column named "(.+?)"/.exec(msg);
  if (qualified)
    return {
      kind: 'column',
      column: qualified[2] as string,
      qualifier: qualified[1] as string,
      candidates: quotedAfter(msg, 'Candidate bindings:'),
    };
  const column = /^Referenced column "(.+?)" not found/.exec(msg);
  if (column || info.subtype === 'COLUMN_NOT_FOUND')
    return {
      kind: 'column',
      column: info.name ?? (column?.[1] as string),
      qualifier: undefined,
      candidates: quotedAfter(msg, 'Candidate bindings:'),
    };
  return { kind: 'other' };
}

/** `"a", "b.c"` after `marker` → `['a', 'c']` (a qualified binding keeps its last part). */
function quotedAfter(message: string, marker: string): string[] {
  const at = message.indexOf(marker);
  if (at < 0) return [];
  const line = message.slice(at + marker.length).split('\n')[0] ?? '';
  return [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) =>
    lastSegment((m[1] as string).replaceAll('""', '"')),
  );
}

function unquote(name: string): string {
  const m = /^"(.*)"$/.exec(name);
  return m ? (m[1] as string) : name;
}

function lastSegment(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && dot < name.length - 1 ? name.slice(dot + 1) : name;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).trim();
}

function unique<T>(list: T[]): T[] {
  return [...new Set(list)];
}

/** A name as SQL can write it: bare when it is a plain identifier, double-quoted otherwise. */
function sqlName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteIdent(name);
}

function tableHint(near: string | undefined, names: string[]): string | undefined {
  const parts: string[] = [];
  if (near !== undefined) parts.push(`did you mean '${near}'?`);
  if (names.length > 0 && names.length <= LIST_LIMIT)
    parts.push(`known tables: ${[...names].sort().join(', ')}`);
  else if (names.length > LIST_LIMIT) parts.push(`${names.length} tables were discovered`);
  else parts.push('no tables were discovered for this connection');
  return parts.join(' ');
}

function columnHint(
  near: string | undefined,
  table: Pick<ScopeTable, 'display' | 'columns'> | undefined,
): string | undefined {
  const parts: string[] = [];
  if (near !== undefined) parts.push(`did you mean '${near}'?`);
  if (table && table.columns.length > 0 && table.columns.length <= LIST_LIMIT)
    parts.push(`columns of '${table.display}': ${table.columns.map((c) => c.name).join(', ')}`);
  return parts.length ? parts.join(' ') : undefined;
}

function columnDefs(columns: readonly Column[]): string {
  return columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
}

/**
 * Distinct output names, as the step that produces them would make them: a repeated name (case-insensitive)
 * gets `_<n>`, n from `start` up (extractors start at 2, DuckDB's CREATE TABLE AS at 1).
 */
function uniqueNames(columns: readonly Column[], start: number): Column[] {
  const seen = new Set<string>();
  return columns.map((col) => {
    const base = col.name === '' ? 'column' : col.name;
    let name = base;
    for (let n = start; seen.has(name.toLowerCase()); n++) name = `${base}_${n}`;
    seen.add(name.toLowerCase());
    return { name, type: col.type };
  });
}

// ── SQL text ───────────────────────────────────────────────────────────────────────────────────────────

function sqlText(original: string, dialect: Dialect): SqlText {
  if (dialect !== 'mysql') return { original, duck: original, map: undefined };
  const { sql, map } = translateMysql(original);
  return { original, duck: sql, map };
}

/**
 * MySQL quoting → DuckDB quoting, for binding only: `` `name` `` → `"name"`, `"text"` → `'text'` (MySQL's
 * default sql_mode reads double quotes as strings), `\'` inside strings → `''`, `# comment` → `-- comment`.
 * `map[i]` is the index in `sql` of output character `i`.
 */
export function translateMysql(sql: string): { sql: string; map: number[] } {
  let out = '';
  const map: number[] = [];
  const emit = (text: string, at: number) => {
    out += text;
    for (let k = 0; k < text.length; k++) map.push(at);
  };
  const n = sql.length;
  let i = 0;
  const toLineEnd = () => {
    while (i < n && sql[i] !== '\n') {
      emit(sql[i] as string, i);
      i++;
    }
  };
  while (i < n) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if (ch === '`') {
      emit('"', i++);
      while (i < n) {
        const c = sql[i] as string;
        if (c === '`') {
          if (sql[i + 1] === '`') {
            emit('`', i);
            i += 2;
            continue;
          }
          emit('"', i++);
          break;
        }
        emit(c === '"' ? '""' : c, i++);
      }
    } else if (ch === "'" || ch === '"') {
      emit("'", i++);
      while (i < n) {
        const c = sql[i] as string;
        if (c === '\\' && i + 1 < n) {
          if (sql[i + 1] === "'") emit("''", i);
          else {
            emit(c, i);
            emit(sql[i + 1] as string, i + 1);
          }
          i += 2;
          continue;
        }
        if (c === ch) {
          if (sql[i + 1] === ch) {
            emit(ch === "'" ? "''" : '"', i);
            i += 2;
            continue;
          }
          emit("'", i++);
          break;
        }
        emit(c === "'" ? "''" : c, i++);
      }
    } else if (ch === '#') {
      emit('--', i++);
      toLineEnd();
    } else if (ch === '-' && next === '-' && (i + 2 >= n || /\s/.test(sql[i + 2] as string))) {
      toLineEnd();
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      while (i < stop) emit(sql[i] as string, i++);
    } else {
      emit(ch, i++);
    }
  }
  return { sql: out, map };
}

/** Line and column (1-based, in characters) in the original SQL of a DuckDB error position. */
function sqlPosition(
  text: SqlText,
  prefix: string,
  info: DuckDBErrorInfo,
): { line: number; col: number; index: number } | undefined {
  if (info.position === undefined) return undefined;
  const full = prefix + text.duck;
  let index: number;
  if (info.type === 'Parser') {
    index = [...full].slice(0, info.position).join('').length;
  } else {
    const bytes = Buffer.from(full, 'utf8');
    if (info.position > bytes.length) return undefined;
    index = bytes.subarray(0, info.position).toString('utf8').length;
  }
  index -= prefix.length;
  if (index < 0 || index > text.duck.length) return undefined;
  const originalIndex = text.map ? (text.map[index] ?? text.original.length) : index;
  const before = text.original.slice(0, originalIndex).split('\n');
  return {
    line: before.length,
    col: [...(before[before.length - 1] ?? '')].length + 1,
    index: originalIndex,
  };
}
