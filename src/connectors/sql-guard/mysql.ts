/**
 * MySQL/MariaDB side of the SQL guard: the statement is parsed with node-sql-parser's MySQL grammar (its
 * MariaDB grammar when the MySQL one cannot read it), loaded on first use, and every node of the tree is
 * visited for function calls, `INTO` and locking clauses.
 *
 * That grammar is not the server's own, so two textual rules back it up: executable comments (`/*! … *\/`,
 * which the server runs and a parser skips) are refused, and a refused function name followed by `(`
 * anywhere in the text is refused even when the parser read it as part of a string or comment.
 */
import { createRequire } from 'node:module';
import type { Parser } from 'node-sql-parser';
import { deniedNames, deniedReason, MYSQL_DENIED } from './denied-functions.js';
import { type Inspection, type Refusal, refuse } from './finding.js';

type Database = 'MySQL' | 'MariaDB';
const GRAMMAR_FILES: Record<Database, string> = { MySQL: 'mysql', MariaDB: 'mariadb' };
const parsers = new Map<Database, Parser>();

/** One grammar's parser, loaded on first use (each is a large generated module). */
function parserFor(database: Database): Parser {
  let parser = parsers.get(database);
  if (!parser) {
    const require = createRequire(import.meta.url);
    const mod = require(`node-sql-parser/build/${GRAMMAR_FILES[database]}.js`) as {
      Parser: new () => Parser;
    };
    parser = new mod.Parser();
    parsers.set(database, parser);
  }
  return parser;
}

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

const offsetOf = (node: Node): number | undefined => {
  const loc = node.loc;
  if (!isNode(loc) || !isNode(loc.start)) return undefined;
  return typeof loc.start.offset === 'number' ? loc.start.offset : undefined;
};

/** `SLEEP`, `db.fn` → `fn`; aggregate nodes carry the name as a plain string. */
function calledName(node: Node): string {
  if (typeof node.name === 'string') return node.name;
  const name = isNode(node.name) ? node.name.name : undefined;
  const parts = Array.isArray(name) ? name : [];
  const last = parts[parts.length - 1];
  return isNode(last) && typeof last.value === 'string' ? last.value : '';
}

const STATEMENTS_ALLOWED = new Set(['select', 'show', 'desc', 'explain']);
const NESTED_WRITES = new Set([
  'insert',
  'replace',
  'update',
  'delete',
  'create',
  'drop',
  'alter',
  'truncate',
]);

function walk(value: unknown, at: number): Refusal | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = walk(item, at);
      if (found) return found;
    }
    return undefined;
  }
  if (!isNode(value)) return undefined;
  const here = offsetOf(value) ?? at;
  if (value.type === 'function' || value.type === 'aggr_func') {
    const name = calledName(value);
    const reason = deniedReason(name, MYSQL_DENIED);
    if (reason) return refuse(`${name}()`, here, `${name}() is refused: it ${reason}`);
  }
  if (typeof value.type === 'string' && NESTED_WRITES.has(value.type)) {
    const kind = value.type.toUpperCase();
    return refuse(kind, here, `a ${kind} statement inside the query is refused: only reading is allowed`);
  }
  if (isNode(value.into) && value.into.position) {
    return refuse('INTO', here, 'SELECT … INTO is refused: it writes a file or variables');
  }
  if (value.locking_read) {
    return refuse(
      String(value.locking_read),
      here,
      `${String(value.locking_read)} is refused: it locks rows`,
    );
  }
  for (const child of Object.values(value)) {
    const found = walk(child, here);
    if (found) return found;
  }
  return undefined;
}

const EXECUTABLE_COMMENT = /\/\*M?!/;
const DENIED_CALL = new RegExp(
  `(?<![\\w$.\`])(${deniedNames(MYSQL_DENIED).join('|')})\\s*(?:/\\*[\\s\\S]*?\\*/\\s*)*\\(`,
  'i',
);

/** The textual backstops (see the module comment). */
function textRefusal(sql: string): Refusal | undefined {
  const comment = EXECUTABLE_COMMENT.exec(sql);
  if (comment) {
    return refuse(
      comment[0],
      comment.index,
      'executable comments (/*! … */) are refused: the server runs their content, which the guard cannot check',
    );
  }
  const call = DENIED_CALL.exec(sql);
  if (call) {
    const name = call[1] as string;
    const reason = deniedReason(name, MYSQL_DENIED) ?? '';
    return refuse(
      `${name}()`,
      call.index,
      `${name}() is refused: it ${reason} (refused wherever it appears in the text, strings and comments included)`,
    );
  }
  return undefined;
}

/** Where a trailing semicolon (followed by whitespace and comments only) seems to start. */
function statementEnd(sql: string): number {
  const m = /;(?:\s|--[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/)*$/.exec(sql);
  return m ? m.index : sql.length;
}

/** Index hints whose list holds only identifiers (no quotes, so blanking them cannot move a string's end). */
const INDEX_HINT =
  /\b(?:USE|FORCE|IGNORE)\s+(?:INDEX|KEY)(?:\s+FOR\s+(?:JOIN|ORDER\s+BY|GROUP\s+BY))?\s*\([\w$\s,`]*\)/gi;

/**
 * The text as the grammar can read it, same length so positions hold: optimizer hints it does not know
 * (index hints, STRAIGHT_JOIN) change which plan runs, not what runs, and are blanked or made plain joins.
 */
function grammarFriendly(sql: string): string {
  return sql
    .replace(INDEX_HINT, (hint) => ' '.repeat(hint.length))
    .replace(/\bSELECT(\s+)STRAIGHT_JOIN\b/gi, (_, space: string) => `SELECT${space}${' '.repeat(13)}`)
    .replace(/\bSTRAIGHT_JOIN\b/gi, 'JOIN         ');
}

function parse(sql: string): { ast: unknown } | { error: { offset: number; near: string } } {
  let firstError: { offset: number; near: string } | undefined;
  for (const database of ['MySQL', 'MariaDB'] as const) {
    try {
      const parser = parserFor(database);
      return { ast: parser.astify(sql, { database, parseOptions: { includeLocations: true } }) };
    } catch (error) {
      const location = isNode(error) && isNode(error.location) ? error.location : undefined;
      const offset = location && isNode(location.start) ? Number(location.start.offset) : 0;
      firstError ??= { offset, near: sql.slice(offset, offset + 20).split('\n')[0] ?? '' };
    }
  }
  return { error: firstError ?? { offset: 0, near: '' } };
}

const isLimit = (limit: unknown): boolean =>
  isNode(limit) && Array.isArray(limit.value) && limit.value.length > 0;

/** A LIMIT on the statement or any branch of its UNION chain (`_limit`: a parenthesised union's own). */
function hasOwnLimit(stmt: Node): boolean {
  for (let node: unknown = stmt; isNode(node); node = node._next) {
    if (isLimit(node.limit) || isLimit(node._limit)) return true;
  }
  return false;
}

function leadingKeyword(stmt: Node): string {
  if (stmt.type === 'desc') return 'DESCRIBE';
  if (stmt.type === 'select' && Array.isArray(stmt.with) && stmt.with.length > 0) return 'WITH';
  return String(stmt.type).toUpperCase();
}

/** Checks one MySQL/MariaDB statement (see the module comment). */
export async function inspectMysql(sql: string): Promise<Inspection> {
  const text = textRefusal(sql);
  if (text) return text;
  const end = statementEnd(sql);
  if (sql.slice(0, end).trim() === '') return refuse('', 0, 'the query is empty');
  const parsed = parse(grammarFriendly(sql));
  if ('error' in parsed) {
    const { offset, near } = parsed.error;
    return refuse(near, offset, `the MySQL/MariaDB parser cannot read the query near '${near}'`);
  }
  const list = Array.isArray(parsed.ast) ? parsed.ast : [parsed.ast];
  if (list.length > 1) {
    // node-sql-parser does not locate statements: point after the first semicolon (close enough to read).
    const semi = sql.indexOf(';');
    const at = semi < 0 ? 0 : semi + 1 + (/^\s*/.exec(sql.slice(semi + 1))?.[0].length ?? 0);
    return refuse('', at, 'a second statement follows the first one: only one statement may run');
  }
  const stmt = list[0];
  if (!isNode(stmt)) return refuse('', 0, 'the query is empty');
  if (typeof stmt.type !== 'string' || !STATEMENTS_ALLOWED.has(stmt.type)) {
    const kind = String(stmt.type ?? 'unknown').toUpperCase();
    return refuse(kind, offsetOf(stmt) ?? 0, `a ${kind} statement is refused: only reading is allowed`);
  }
  const refusal = walk(stmt, offsetOf(stmt) ?? 0);
  if (refusal) return refusal;
  // What looked like a trailing semicolon may sit inside a string (`'a; -- x'`): the text up to it must read
  // as a statement too, else the whole text is the statement.
  const bodyEnd = end < sql.length && (await inspectMysql(sql.slice(0, end))).ok ? end : sql.length;
  return { ok: true, keyword: leadingKeyword(stmt), end: bodyEnd, ownLimit: hasOwnLimit(stmt) };
}
