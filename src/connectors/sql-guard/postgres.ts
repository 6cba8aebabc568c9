/**
 * PostgreSQL side of the SQL guard: the statement is parsed by PostgreSQL's own parser (libpg-query, a
 * WebAssembly build of it, loaded on first use) and every node of the tree is visited, so a function call is
 * found wherever it hides — subqueries, CTEs, casts, lateral joins, FROM-clause functions, EXPLAIN.
 */
import { deniedReason, POSTGRES_DENIED } from './denied-functions.js';
import { type Inspection, type Refusal, refuse, statementKeyword } from './finding.js';

type LibPgQuery = typeof import('libpg-query');
let loading: Promise<LibPgQuery> | undefined;

/** The parser module, initialised once (its WebAssembly instance starts asynchronously). */
function parser(): Promise<LibPgQuery> {
  loading ??= import('libpg-query').then(async (mod) => {
    await mod.loadModule();
    return mod;
  });
  return loading;
}

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Maps the parser's UTF-8 byte offsets to JavaScript string offsets. */
function byteToChar(sql: string): (byte: number) => number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range
  if (/^[\x00-\x7f]*$/.test(sql)) return (byte) => byte;
  const bytes = Buffer.from(sql, 'utf8');
  return (byte) => bytes.subarray(0, Math.max(0, byte)).toString('utf8').length;
}

/** The called function's own name (the last part of a qualified name). */
function functionName(call: Node): string {
  const parts = Array.isArray(call.funcname) ? call.funcname : [];
  const last = parts[parts.length - 1];
  const str = isNode(last) && isNode(last.String) ? last.String.sval : undefined;
  return typeof str === 'string' ? str : '';
}

/**
 * Visits every node under `value`; returns the first refusal. `at` is the byte offset of the nearest
 * enclosing node that has a location (some nodes, like a CTE's statement, have none of their own).
 */
function walk(value: unknown, at: number, toChar: (b: number) => number): Refusal | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = walk(item, at, toChar);
      if (found) return found;
    }
    return undefined;
  }
  if (!isNode(value)) return undefined;
  const here = typeof value.location === 'number' && value.location >= 0 ? value.location : at;
  for (const [key, child] of Object.entries(value)) {
    const childAt =
      isNode(child) && typeof child.location === 'number' && child.location >= 0 ? child.location : here;
    if (key === 'FuncCall' && isNode(child)) {
      const name = functionName(child);
      const reason = deniedReason(name, POSTGRES_DENIED);
      if (reason) return refuse(`${name}()`, toChar(childAt), `${name}() is refused: it ${reason}`);
    } else if (key.endsWith('Stmt') && key !== 'SelectStmt') {
      const kind = statementKeyword(key);
      return refuse(
        kind,
        toChar(childAt),
        `a ${kind} statement inside the query is refused: only reading is allowed`,
      );
    } else if (key === 'intoClause' && child) {
      return refuse('INTO', toChar(here), 'SELECT … INTO is refused: it creates a table');
    } else if (key === 'lockingClause' && child) {
      return refuse('FOR UPDATE/SHARE', toChar(here), 'FOR UPDATE / FOR SHARE is refused: it locks rows');
    }
    const found = walk(child, childAt, toChar);
    if (found) return found;
  }
  return undefined;
}

/** Byte offset of the first token at or after `from` (skips comments and whitespace). */
function firstTokenAt(mod: LibPgQuery, sql: string, from: number): number {
  try {
    const token = mod.scanSync(sql).tokens.find((t) => t.start >= from);
    return token?.start ?? from;
  } catch {
    return from;
  }
}

function leadingKeyword(type: string, stmt: Node): string {
  if (type === 'ExplainStmt') return 'EXPLAIN';
  if (type === 'VariableShowStmt') return 'SHOW';
  if (stmt.withClause) return 'WITH';
  if (stmt.valuesLists) return 'VALUES';
  return 'SELECT';
}

/** Checks one PostgreSQL statement (see the module comment). */
export async function inspectPostgres(sql: string): Promise<Inspection> {
  const mod = await parser();
  let parsed: { stmts?: { stmt?: unknown; stmt_location?: number; stmt_len?: number }[] };
  try {
    parsed = mod.parseSync(sql) as typeof parsed;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const details = mod.hasSqlDetails(error) ? error.sqlDetails : undefined;
    // The parser reports its error position in characters (not bytes), 0-based.
    const offset = Math.min(sql.length, Math.max(0, details?.cursorPosition ?? 0));
    const near = /at or near "([^"]*)"/.exec(message)?.[1] ?? message;
    return refuse(near, offset, `the PostgreSQL parser cannot read the query: ${message}`);
  }
  const toChar = byteToChar(sql);
  const stmts = parsed.stmts ?? [];
  const first = stmts[0];
  if (first === undefined || !isNode(first.stmt)) return refuse('', 0, 'the query is empty');
  const second = stmts[1];
  if (second !== undefined) {
    const at = toChar(firstTokenAt(mod, sql, second.stmt_location ?? 0));
    return refuse('', at, 'a second statement follows the first one: only one statement may run');
  }
  const [type, node] = Object.entries(first.stmt)[0] ?? ['', undefined];
  const start = firstTokenAt(mod, sql, first.stmt_location ?? 0);
  if (!isNode(node)) return refuse('', 0, 'the query is empty');
  const topLevel = type === 'SelectStmt' || type === 'VariableShowStmt' || type === 'ExplainStmt';
  if (!topLevel) {
    const kind = statementKeyword(type);
    return refuse(kind, toChar(start), `a ${kind} statement is refused: only reading is allowed`);
  }
  // ExplainStmt itself is allowed; what it explains is walked like any other subtree.
  const refusal = walk(node, start, toChar);
  if (refusal) return refusal;
  const len = first.stmt_len ?? 0;
  return {
    ok: true,
    keyword: leadingKeyword(type, node),
    end: len > 0 ? toChar((first.stmt_location ?? 0) + len) : sql.length,
    ownLimit:
      type === 'SelectStmt' && (node.limitCount !== undefined || node.limitOption !== 'LIMIT_OPTION_DEFAULT'),
  };
}
