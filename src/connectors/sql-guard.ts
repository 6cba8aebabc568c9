/**
 * The SQL guard: the one check every user- or model-written SQL goes through before it reaches a database —
 * extractor `query` and `where`, the chat agent's `run_query`, and (later) the MCP server. It promises that an
 * accepted query is exactly one read-only statement (SELECT, WITH … SELECT, VALUES, SHOW, DESCRIBE or
 * EXPLAIN of one of them) whose parse tree calls no function with side effects the database would allow in a
 * read-only transaction (large objects, advisory and named locks, signals to other sessions, server files,
 * settings, sleeps; the lists are in sql-guard/denied-functions.ts), with no `INTO` and no row locks.
 *
 * The SQL is parsed — PostgreSQL by PostgreSQL's own parser, MySQL/MariaDB by a maintained grammar — and the
 * parsers are loaded on the first check, so commands that never check SQL never pay for them. What the guard
 * cannot see (user-defined functions and views) is the database role's job: docs/reference/security.md.
 */
import type { Inspection } from './sql-guard/finding.js';

export type SqlDialect = 'mysql' | 'postgres';

/** What a runner needs to bound an accepted statement's result. */
export interface SqlShape {
  /** Leading keyword: SELECT, WITH, VALUES, SHOW, DESCRIBE or EXPLAIN. */
  keyword: string;
  /** The SQL without its terminating semicolon (and what follows it), to embed in `SELECT * FROM (…)`. */
  body: string;
  /** The outermost query has its own LIMIT / FETCH clause. */
  ownLimit: boolean;
}

export interface SqlRefusal {
  ok: false;
  /** What is refused: `lo_put()`, `DELETE`, `INTO`, … or the text a syntax error is at (may be empty). */
  keyword: string;
  /** 0-based offset into the checked text (UTF-16 code units). */
  offset: number;
  /** 1-based line in the checked text. */
  line: number;
  /** 1-based column, in characters. */
  col: number;
  /** Why, and where: "lo_put() is refused: it … (line 1, column 8)". */
  message: string;
}

export type SqlGuardResult = { ok: true; shape: SqlShape } | SqlRefusal;

export interface SqlGuardOptions {
  dialect: SqlDialect;
  /**
   * `query` (default): a whole statement. `where`: a condition as embedded in `SELECT … WHERE (<cond>)`;
   * positions are reported in the condition itself.
   */
  part?: 'query' | 'where';
}

/** What the guard accepts, for hints. */
export const ACCEPTED_STATEMENTS = 'one SELECT, WITH … SELECT, VALUES, SHOW, DESCRIBE or EXPLAIN statement';

const WHERE_PREFIX = 'SELECT 1 FROM osiris_where WHERE (';

async function inspect(sql: string, dialect: SqlDialect): Promise<Inspection> {
  if (dialect === 'postgres') {
    const { inspectPostgres } = await import('./sql-guard/postgres.js');
    return inspectPostgres(sql);
  }
  const { inspectMysql } = await import('./sql-guard/mysql.js');
  return inspectMysql(sql);
}

/** 1-based line and column (in characters) of a 0-based offset into `text`. */
export function lineColOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, col: Array.from(lines[lines.length - 1] ?? '').length + 1 };
}

/** Checks `sql` (see the module comment). Never throws for bad SQL: a refusal says what, where and why. */
export async function guardSql(sql: string, options: SqlGuardOptions): Promise<SqlGuardResult> {
  const where = options.part === 'where';
  const text = where ? `${WHERE_PREFIX}${sql}\n)` : sql;
  const found = await inspect(text, options.dialect);
  if (found.ok) {
    return {
      ok: true,
      shape: { keyword: found.keyword, body: sql.slice(0, found.end), ownLimit: found.ownLimit },
    };
  }
  const offset = where ? Math.min(sql.length, Math.max(0, found.offset - WHERE_PREFIX.length)) : found.offset;
  const { line, col } = lineColOf(sql, offset);
  const of = where ? ' of the condition' : '';
  return {
    ok: false,
    keyword: found.subject,
    offset,
    line,
    col,
    message: `${found.reason} (line ${line}, column ${col}${of})`,
  };
}

/**
 * The SQL dialect of a component, from its family: `mysql.*` → mysql, `postgres.*` / `supabase.*` →
 * postgres; undefined for components without database SQL.
 */
export function sqlDialectOf(component: string): SqlDialect | undefined {
  return sqlDialectOfFamily(component.split('.')[0] ?? '');
}

/** The SQL dialect of a connection family, or undefined for families without SQL. */
export function sqlDialectOfFamily(family: string): SqlDialect | undefined {
  if (family === 'mysql') return 'mysql';
  if (family === 'postgres' || family === 'supabase') return 'postgres';
  return undefined;
}
