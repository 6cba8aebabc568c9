/**
 * Read-only guard for extractor SQL (MySQL/MariaDB and PostgreSQL): exactly one statement, starting with
 * SELECT, WITH, SHOW, DESCRIBE/DESC or EXPLAIN, and no data-changing or locking keyword anywhere (so
 * `WITH x AS (DELETE … RETURNING *) SELECT …`, `SELECT … INTO OUTFILE`, `SELECT … FOR UPDATE` and
 * `EXPLAIN ANALYZE DELETE …` are rejected too).
 *
 * The SQL is tokenised, so keywords inside string literals, quoted identifiers and comments do not count.
 * The two engines lex differently (MySQL: `#` comments, `-- ` needs a space, backslash escapes in '…' and
 * "…" strings, executable comments `/*! … *\/` whose content runs; PostgreSQL: `--` always a comment, nested
 * block comments, `$tag$…$tag$` strings, backslash escapes only in E'…'). With `dialect: 'any'` (the default)
 * the SQL must pass under both lexers, which closes tricks that hide code from one lexer in what the other
 * reads as a comment or a string.
 *
 * This is a lint that gives a clear message at validate time; drivers add defence in depth (one statement
 * per call, read-only transaction).
 */

export type SqlDialect = 'mysql' | 'postgres' | 'any';

export type ReadOnlySqlCheck =
  | { ok: true }
  | {
      ok: false;
      /** The offending keyword in upper case (or the token, e.g. `'` for an unterminated string). */
      keyword: string;
      /** 0-based offset into the SQL text (UTF-16 code units, as JavaScript indexes strings). */
      offset: number;
      /** 1-based line. */
      line: number;
      /** 1-based column, counted in characters (code points). */
      col: number;
      message: string;
    };

export interface ReadOnlySqlOptions {
  /** Which engine's lexical rules apply; `any` (default) requires the SQL to pass under both. */
  dialect?: SqlDialect;
}

/** Statement kinds an extractor may run. `DESC` is MySQL's short form of DESCRIBE. */
export const READ_ONLY_LEADING_KEYWORDS: readonly string[] = [
  'SELECT',
  'WITH',
  'SHOW',
  'DESCRIBE',
  'DESC',
  'EXPLAIN',
];

/** Keywords that change data, schema, privileges, sessions or transactions, or take row locks. */
const FORBIDDEN_KEYWORDS = new Set([
  'ALTER',
  'CALL',
  'CLUSTER',
  'COMMIT',
  'COPY',
  'CREATE',
  'DEALLOCATE',
  'DELETE',
  'DISCARD',
  'DROP',
  'DUMPFILE',
  'EXECUTE',
  'FLUSH',
  'GRANT',
  'HANDLER',
  'IMPORT',
  'INSERT',
  'INSTALL',
  'INTO',
  'KILL',
  'LISTEN',
  'LOAD',
  'LOCK',
  'MERGE',
  'NOTIFY',
  'OPTIMIZE',
  'OUTFILE',
  'PREPARE',
  'PURGE',
  'REFRESH',
  'REINDEX',
  'RENAME',
  'REPAIR',
  'REPLACE',
  'REVOKE',
  'ROLLBACK',
  'SAVEPOINT',
  'SHUTDOWN',
  'TRUNCATE',
  'UNINSTALL',
  'UNLOCK',
  'UPDATE',
  'UPSERT',
  'VACUUM',
]);
/** MySQL string functions spelled like forbidden keywords: allowed when directly followed by `(`. */
const FUNCTION_NAMES = new Set(['INSERT', 'REPLACE']);

interface LexRules {
  name: 'mysql' | 'postgres';
  hashComment: boolean;
  /** `--` starts a comment only when followed by whitespace/control or end of input (MySQL). */
  dashDashNeedsSpace: boolean;
  /** Backslash escapes inside '…' strings (MySQL default sql_mode). */
  backslashInSingle: boolean;
  /** "…" is a string (MySQL) rather than an identifier (PostgreSQL). */
  doubleQuoteIsString: boolean;
  backtickIdent: boolean;
  nestedBlockComments: boolean;
  /** `/*! … *\/` and `/*M! … *\/` bodies are code (MySQL/MariaDB). */
  executableComments: boolean;
  dollarQuotes: boolean;
  /** E'…' strings with backslash escapes (PostgreSQL). */
  escapeStringPrefix: boolean;
}

const MYSQL: LexRules = {
  name: 'mysql',
  hashComment: true,
  dashDashNeedsSpace: true,
  backslashInSingle: true,
  doubleQuoteIsString: true,
  backtickIdent: true,
  nestedBlockComments: false,
  executableComments: true,
  dollarQuotes: false,
  escapeStringPrefix: false,
};

const POSTGRES: LexRules = {
  name: 'postgres',
  hashComment: false,
  dashDashNeedsSpace: false,
  backslashInSingle: false,
  doubleQuoteIsString: false,
  // A backtick is a syntax error in PostgreSQL, so reading it as quoting cannot hide runnable code.
  backtickIdent: true,
  nestedBlockComments: true,
  executableComments: false,
  dollarQuotes: true,
  escapeStringPrefix: true,
};

type TokenKind = 'word' | 'quoted' | 'string' | 'punct';

interface Token {
  kind: TokenKind;
  text: string;
  offset: number;
}

interface LexFailure {
  keyword: string;
  offset: number;
  reason: string;
}

const isWordChar = (ch: string): boolean => /[A-Za-z0-9_$]/.test(ch) || ch.charCodeAt(0) >= 0x80;
const isWordStart = (ch: string): boolean => /[A-Za-z0-9_]/.test(ch) || ch.charCodeAt(0) >= 0x80;
const isSpaceOrControl = (ch: string | undefined): boolean =>
  ch === undefined || ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f;

/** Splits SQL into tokens under one engine's lexical rules, dropping whitespace and (ordinary) comments. */
function lex(sql: string, rules: LexRules): { tokens: Token[] } | { failure: LexFailure } {
  const tokens: Token[] = [];
  let i = 0;
  let inExecutableComment = false;
  const n = sql.length;

  /** Consumes a quoted run ending at `quote`; doubled quotes and (optionally) backslashes escape. */
  const readQuoted = (start: number, quote: string, backslash: boolean): number | null => {
    let j = start + 1;
    while (j < n) {
      const ch = sql[j];
      if (backslash && ch === '\\') {
        j += 2;
        continue;
      }
      if (ch === quote) {
        if (sql[j + 1] === quote) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j += 1;
    }
    return null;
  };

  while (i < n) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if (isSpaceOrControl(ch)) {
      i += 1;
      continue;
    }
    // Comments.
    if (ch === '-' && next === '-' && (!rules.dashDashNeedsSpace || isSpaceOrControl(sql[i + 2]))) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (ch === '#' && rules.hashComment) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (ch === '/' && next === '*') {
      if (rules.executableComments && !inExecutableComment) {
        const m = /^\/\*M?!\d{0,6}/.exec(sql.slice(i, i + 10));
        if (m) {
          inExecutableComment = true;
          i += m[0].length;
          continue;
        }
      }
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '*' && sql[j + 1] === '/') {
          depth -= 1;
          j += 2;
        } else if (rules.nestedBlockComments && sql[j] === '/' && sql[j + 1] === '*') {
          depth += 1;
          j += 2;
        } else {
          j += 1;
        }
      }
      if (depth > 0) return { failure: { keyword: '/*', offset: i, reason: 'unterminated comment' } };
      i = j;
      continue;
    }
    if (inExecutableComment && ch === '*' && next === '/') {
      inExecutableComment = false;
      i += 2;
      continue;
    }
    // String literals and quoted identifiers.
    if (ch === "'") {
      const end = readQuoted(i, "'", rules.backslashInSingle);
      if (end === null)
        return { failure: { keyword: "'", offset: i, reason: 'unterminated string literal' } };
      tokens.push({ kind: 'string', text: sql.slice(i, end), offset: i });
      i = end;
      continue;
    }
    if (ch === '"') {
      const end = readQuoted(i, '"', rules.doubleQuoteIsString && rules.backslashInSingle);
      if (end === null) {
        const what = rules.doubleQuoteIsString ? 'string literal' : 'quoted identifier';
        return { failure: { keyword: '"', offset: i, reason: `unterminated ${what}` } };
      }
      tokens.push({
        kind: rules.doubleQuoteIsString ? 'string' : 'quoted',
        text: sql.slice(i, end),
        offset: i,
      });
      i = end;
      continue;
    }
    if (ch === '`' && rules.backtickIdent) {
      const end = readQuoted(i, '`', false);
      if (end === null)
        return { failure: { keyword: '`', offset: i, reason: 'unterminated quoted identifier' } };
      tokens.push({ kind: 'quoted', text: sql.slice(i, end), offset: i });
      i = end;
      continue;
    }
    if (ch === '$' && rules.dollarQuotes) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 200));
      if (m) {
        const tag = m[0];
        const end = sql.indexOf(tag, i + tag.length);
        if (end === -1)
          return { failure: { keyword: tag, offset: i, reason: 'unterminated dollar-quoted string' } };
        tokens.push({ kind: 'string', text: sql.slice(i, end + tag.length), offset: i });
        i = end + tag.length;
        continue;
      }
    }
    if (isWordStart(ch)) {
      let j = i + 1;
      while (j < n && isWordChar(sql[j] as string)) j += 1;
      const word = sql.slice(i, j);
      // PostgreSQL E'…' escape strings: the prefix belongs to the literal.
      if (rules.escapeStringPrefix && (word === 'E' || word === 'e') && sql[j] === "'") {
        const end = readQuoted(j, "'", true);
        if (end === null)
          return { failure: { keyword: "'", offset: j, reason: 'unterminated string literal' } };
        tokens.push({ kind: 'string', text: sql.slice(i, end), offset: i });
        i = end;
        continue;
      }
      tokens.push({ kind: 'word', text: word, offset: i });
      i = j;
      continue;
    }
    tokens.push({ kind: 'punct', text: ch, offset: i });
    i += 1;
  }
  return { tokens };
}

function checkTokens(tokens: Token[]): LexFailure | null {
  // One statement: a single trailing semicolon is fine, anything after it is a second statement.
  const semi = tokens.findIndex((t) => t.kind === 'punct' && t.text === ';');
  if (semi !== -1 && semi < tokens.length - 1) {
    const extra = tokens[semi + 1] as Token;
    return {
      keyword: extra.kind === 'word' ? extra.text.toUpperCase() : extra.text,
      offset: extra.offset,
      reason: 'a second statement follows the first one; only one statement is allowed',
    };
  }
  const body = semi === -1 ? tokens : tokens.slice(0, semi);
  let k = 0;
  while (k < body.length && body[k]?.kind === 'punct' && body[k]?.text === '(') k += 1;
  const first = body[k];
  if (first === undefined) {
    return { keyword: '', offset: tokens[0]?.offset ?? 0, reason: 'the query is empty' };
  }
  if (first.kind !== 'word' || !READ_ONLY_LEADING_KEYWORDS.includes(first.text.toUpperCase())) {
    return {
      keyword: first.kind === 'word' ? first.text.toUpperCase() : first.text,
      offset: first.offset,
      reason: 'the statement must start with SELECT, WITH, SHOW, DESCRIBE or EXPLAIN',
    };
  }
  for (let idx = 0; idx < body.length; idx += 1) {
    const tok = body[idx] as Token;
    if (tok.kind !== 'word') continue;
    const upper = tok.text.toUpperCase();
    if (!FORBIDDEN_KEYWORDS.has(upper)) continue;
    const prev = body[idx - 1];
    // `t.update` — a word after a period is an identifier, reserved or not.
    if (prev?.kind === 'punct' && prev.text === '.') continue;
    const following = body[idx + 1];
    if (FUNCTION_NAMES.has(upper) && following?.kind === 'punct' && following.text === '(') continue;
    return {
      keyword: upper,
      offset: tok.offset,
      reason: `'${upper}' changes data or takes locks, which a read-only extractor query must not do`,
    };
  }
  return null;
}

function position(sql: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < sql.length; i += 1) {
    if (sql[i] === '\n') {
      line += 1;
      lineStart = i + 1;
    }
  }
  const col = Array.from(sql.slice(lineStart, offset)).length + 1;
  return { line, col };
}

/**
 * Checks that `sql` is a single read-only statement. Returns the first problem with the offending keyword
 * and its position; `message` is ready to show (it says what is accepted).
 */
export function checkReadOnlySql(sql: string, options: ReadOnlySqlOptions = {}): ReadOnlySqlCheck {
  const dialect = options.dialect ?? 'any';
  const rulesets = dialect === 'mysql' ? [MYSQL] : dialect === 'postgres' ? [POSTGRES] : [MYSQL, POSTGRES];
  for (const rules of rulesets) {
    const lexed = lex(sql, rules);
    const failure = 'failure' in lexed ? lexed.failure : checkTokens(lexed.tokens);
    if (failure === null) continue;
    const { line, col } = position(sql, failure.offset);
    const where = `line ${line}, column ${col}`;
    const subject = failure.keyword === '' ? '' : ` at '${failure.keyword}'`;
    const lexer =
      rulesets.length > 1 ? ` (read with ${rules.name === 'mysql' ? 'MySQL' : 'PostgreSQL'} rules)` : '';
    return {
      ok: false,
      keyword: failure.keyword,
      offset: failure.offset,
      line,
      col,
      message:
        `Extractor query is not read-only${subject} (${where})${lexer}: ${failure.reason}. ` +
        'Only one SELECT, WITH … SELECT, SHOW, DESCRIBE or EXPLAIN statement is accepted.',
    };
  }
  return { ok: true };
}

/**
 * Checks a WHERE condition (without the WHERE keyword) as it will be embedded in `SELECT … WHERE (<cond>)`:
 * a second statement, a forbidden keyword or an unterminated literal is reported with positions in `where`
 * itself.
 */
export function checkReadOnlyWhere(where: string, options: ReadOnlySqlOptions = {}): ReadOnlySqlCheck {
  const prefix = 'SELECT 1 FROM t WHERE ';
  const check = checkReadOnlySql(`${prefix}${where}`, options);
  if (check.ok) return check;
  const offset = Math.max(0, check.offset - prefix.length);
  const { line, col } = position(where, offset);
  const message = check.message.replace(/\(line \d+, column \d+\)/, `(line ${line}, column ${col})`);
  return { ...check, offset, line, col, message };
}

/**
 * The lexer rules for a component's SQL, from its family: `mysql.*` → mysql, `postgres.*` / `supabase.*` →
 * postgres; undefined for components without database SQL. For the OML validator, which knows the component
 * name but not the driver.
 */
export function sqlDialectOf(component: string): Exclude<SqlDialect, 'any'> | undefined {
  const family = component.split('.')[0];
  if (family === 'mysql') return 'mysql';
  if (family === 'postgres' || family === 'supabase') return 'postgres';
  return undefined;
}

/** The parts of a statement that a runner needs to bound its result (see `readOnlyStatementShape`). */
export interface ReadOnlyStatementShape {
  /** Leading keyword in upper case: SELECT, WITH, SHOW, DESCRIBE, DESC or EXPLAIN. */
  keyword: string;
  /** The SQL up to its terminating semicolon (the semicolon and comments after it left out). */
  body: string;
  /**
   * Whether the outermost query has its own LIMIT or FETCH clause (at parenthesis depth 0, or inside the
   * parentheses that open the statement, as in `(SELECT … LIMIT 5)`). Such a clause overrides MySQL's
   * `sql_select_limit`.
   */
  ownLimit: boolean;
}

/**
 * The shape of SQL that passed `checkReadOnlySql` under one engine's lexical rules: its leading keyword, the
 * text without the terminating semicolon (so it can be embedded in `SELECT * FROM (<body>) …`) and whether
 * it limits its own rows. `undefined` when the SQL does not lex or has no leading keyword.
 */
export function readOnlyStatementShape(
  sql: string,
  options: { dialect: Exclude<SqlDialect, 'any'> },
): ReadOnlyStatementShape | undefined {
  const lexed = lex(sql, options.dialect === 'mysql' ? MYSQL : POSTGRES);
  if ('failure' in lexed) return undefined;
  const { tokens } = lexed;
  const semi = tokens.findIndex((t) => t.kind === 'punct' && t.text === ';');
  const body = semi === -1 ? tokens : tokens.slice(0, semi);
  let leading = 0;
  while (leading < body.length && body[leading]?.kind === 'punct' && body[leading]?.text === '(')
    leading += 1;
  const first = body[leading];
  if (first === undefined || first.kind !== 'word') return undefined;
  let depth = 0;
  let ownLimit = false;
  for (const tok of body) {
    if (tok.kind === 'punct' && tok.text === '(') depth += 1;
    else if (tok.kind === 'punct' && tok.text === ')') depth -= 1;
    else if (tok.kind === 'word' && depth <= leading && /^(LIMIT|FETCH)$/i.test(tok.text)) ownLimit = true;
  }
  const end = semi === -1 ? sql.length : (tokens[semi] as Token).offset;
  return { keyword: first.text.toUpperCase(), body: sql.slice(0, end), ownLimit };
}
