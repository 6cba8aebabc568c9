/**
 * duckdb.processor: `CREATE TABLE <output> AS <query>` over the step's inputs, which SQL sees by step id,
 * as `df_<sanitized id>` and (single input) as `input_df`. A parser, binder or catalog error names the
 * step, the line and column of the user's query, and DuckDB's message; an unknown table lists the names
 * the query can use, with a did-you-mean.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { closestMatch } from '../../diagnostics/suggest.js';
import { createInputAliases, quoteIdent, runTracked, tableRowCount } from '../../runtime/dataplane.js';
import { type Driver, type StepContext, StepError, type StepResult } from '../../runtime/driver.js';
import { caretSnippet, locateInSql, parseDuckDBError, positionUnit } from '../../runtime/duckdb-errors.js';
import { StepConfig } from '../../runtime/step-config.js';
import type { JsonValue } from '../../yaml/json.js';

/** Kinds of DuckDB error that are about the query text rather than the data. */
const QUERY_ERRORS = new Set(['Parser', 'Binder', 'Catalog']);
/** Kinds of DuckDB error raised by values while the query runs. */
const DATA_ERRORS = new Set(['Conversion', 'Out of Range', 'Invalid Input']);

function sqlError(
  ctx: StepContext,
  query: string,
  error: unknown,
  prefix: string,
  names: string[],
): StepError {
  const info = parseDuckDBError(error);
  const pos =
    info.position === undefined ? undefined : locateInSql(query, info.position, prefix, positionUnit(info));
  let message = info.message.replace(/\nDid you mean "[^"]*"\?/g, '');
  const [first, ...rest] = message.split('\n');
  message = [first, ...rest.filter((l) => /^Candidate bindings/i.test(l))].join('; ');
  const kind = info.type ? `${info.type} Error` : 'error';
  const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
  const details: Record<string, JsonValue> = { error_type: info.type };
  if (pos) Object.assign(details, { line: pos.line, col: pos.col, sql_line: pos.text });

  let hint: string | undefined;
  // MISSING_ENTRY also covers unknown functions and types: only a table gets the table hint.
  const missingTable = /^Table with name .* does not exist/.test(info.message);
  if (missingTable) {
    const name = info.name ?? /Table with name (.*?) does not exist/.exec(info.message)?.[1] ?? '';
    const near = closestMatch(name, names);
    const listed = names.map((n) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : quoteIdent(n))).join(', ');
    hint = `${near ? `did you mean ${/^[A-Za-z_][A-Za-z0-9_]*$/.test(near) ? near : quoteIdent(near)}? ` : ''}tables this step can read: ${listed || '(none: add the upstream step to needs)'}`;
  } else if (info.type === 'Parser') {
    hint = 'the query must be one SELECT (WITH … SELECT, FROM …, VALUES …) statement';
  }
  const code = QUERY_ERRORS.has(info.type)
    ? 'transform.failed'
    : DATA_ERRORS.has(info.type)
      ? 'transform.type_error'
      : info.type === 'Out of Memory'
        ? 'runtime.memory_exceeded'
        : 'transform.failed';
  return new StepError(
    code,
    `step '${ctx.stepId}': SQL ${kind}${where}: ${message}${pos ? `\n${caretSnippet(pos)}` : ''}`,
    hint,
    { cause: error, details },
  );
}

async function withJsonErrors<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await conn.run('SET errors_as_json = true');
  try {
    return await fn();
  } finally {
    await conn.run('RESET errors_as_json');
  }
}

/** Checks the query is one statement, then runs `prefix + query` (a CREATE … AS), errors located in the query. */
async function createFromQuery(
  ctx: StepContext,
  query: string,
  prefix: string,
  names: string[],
): Promise<void> {
  const conn = ctx.duck;
  await withJsonErrors(conn, async () => {
    let count: number;
    try {
      count = (await conn.extractStatements(query)).count;
    } catch (error) {
      throw sqlError(ctx, query, error, '', names);
    }
    if (count !== 1)
      throw new StepError(
        'transform.failed',
        `step '${ctx.stepId}': the query holds ${count} statements; a processor runs exactly one`,
        count === 0
          ? 'write a SELECT statement'
          : 'combine them into one SELECT (use WITH … for intermediate steps)',
      );
    try {
      await runTracked(conn, prefix + query, {
        signal: ctx.signal,
        onProgress: (rows) => ctx.progress(rows),
      });
    } catch (error) {
      if (error instanceof StepError) throw error;
      throw sqlError(ctx, query, error, prefix, names);
    }
  });
}

export const driver: Driver = {
  async run(ctx: StepContext): Promise<StepResult> {
    const cfg = StepConfig.of(ctx);
    const query = cfg.requiredString('query');
    const conn = ctx.duck;
    const aliases = await createInputAliases(conn, ctx.inputs);
    try {
      let rowsIn = 0;
      for (const input of ctx.inputs) rowsIn += await tableRowCount(conn, input.table);
      await createFromQuery(ctx, query, `CREATE OR REPLACE TABLE ${ctx.outputTable} AS\n`, aliases.names);
      const rowsOut = await tableRowCount(conn, ctx.outputTable);
      ctx.progress(rowsOut);
      return { rowsIn, rowsOut };
    } finally {
      await aliases.drop();
    }
  },

  /**
   * In a fused chain the query becomes a view in a schema of the step's own, beside its input aliases (so
   * `input_df` means this step's input even when the next processor has one too); the output name is a view
   * over it. Binding the view raises the same parser, binder and catalog errors as `run`; rows in are not
   * counted (that would read the source again).
   */
  async defineView(ctx: StepContext) {
    const cfg = StepConfig.of(ctx);
    const query = cfg.requiredString('query');
    const conn = ctx.duck;
    const schema = quoteIdent(`osiris_fused_${ctx.stepId}`);
    await conn.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const release = async () => {
      await conn.run(`DROP VIEW IF EXISTS main.${ctx.outputTable}`);
      await conn.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    };
    try {
      const aliases = await createInputAliases(conn, ctx.inputs, schema);
      const inner = `${schema}.${ctx.outputTable}`;
      await createFromQuery(ctx, query, `CREATE VIEW ${inner} AS\n`, aliases.names);
      await conn.run(`CREATE OR REPLACE VIEW main.${ctx.outputTable} AS SELECT * FROM ${inner}`);
    } catch (error) {
      await release().catch(() => {});
      throw error;
    }
    return { result: (rowsOut: number | undefined) => ({ rowsOut }), release };
  },
};
