/**
 * The one redaction policy. Every writer of text that can leave the process (session events and metrics,
 * status.json, artifact copies, the run index, CLI errors, reports) passes its data through a `Redactor`.
 *
 * Two entry points:
 * - `redactValue(value)`: deep copy as plain JSON. Values under secret-looking keys become `***` (whole
 *   subtree; `null`, booleans and bare `${VAR}` references are kept because they reveal nothing), and every
 *   remaining string goes through `redactText`. A whole string that looks like a random credential (≥ 32
 *   characters of mixed case and digits with high entropy) is masked too.
 * - `redactText(text)`: free text. Known secret values (≥ 4 characters) wherever they occur, the password
 *   part of URL userinfo (`scheme://user:***@host/db`), `Bearer`/`Basic` credentials, JWTs, PEM private
 *   keys, `password=…`/`token=…` style assignments (query strings, key=value, JSON, YAML/header lines) and
 *   well-known API key shapes (`sk-…`, `ghp_…`, `AKIA…`, `xox?-…`, `AIza…`, `glpat-…`, …).
 *
 * Hashes (`sha256:<hex>`), run ids, ISO dates, numbers and ordinary prose are left alone.
 */
import type { JsonObject, JsonValue } from '../yaml/json.js';

/** What every secret is replaced with. */
export const MASK = '***';

/** Secret values shorter than this are not scanned for in free text (too many false hits). */
export const MIN_SECRET_VALUE_LENGTH = 4;

export interface RedactorOptions {
  /** Exact secret values (resolved passwords, tokens, …) to remove wherever they appear. */
  secretValues?: Iterable<string>;
  /**
   * Extra secret key names, e.g. from component specs (`secrets:` / `x-secret`). Plain names
   * (`service_key`) or JSON pointers (`/auth/token`: the last segment is used) are accepted.
   */
  secretKeys?: Iterable<string>;
}

export interface Redactor {
  /** Deep, JSON-safe, redacted copy of `value`. */
  redactValue(value: unknown): JsonValue;
  /** Free text with every secret masked. */
  redactText(text: string): string;
  /** Whether values under this key name are masked. */
  isSecretKey(key: string): boolean;
  /** Learns more secrets (e.g. once a step's connection is resolved). Affects every later call. */
  addSecrets(options: RedactorOptions): void;
}

// ---------------------------------------------------------------------------------------------------------
// Key names

/** Segments that make a key secret wherever they occur (`db_password`, `client_secret`, `pg_dsn`, …). */
const SECRET_SEGMENTS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'credential',
  'credentials',
  'dsn',
  'authorization',
  'auth',
  'apikey',
  'bearer',
  'cookie',
  'signature',
  'privatekey',
  'accesskey',
  'secretkey',
]);

/** Segments that are secret only as the last segment (`db_pass`, `user_pw`). */
const SECRET_LAST_SEGMENTS = new Set(['pass', 'pw']);

/** Adjacent segment pairs that are secret (`connection_string`, `conn_str`). */
const SECRET_PAIRS = new Set([
  'connection_string',
  'conn_string',
  'conn_str',
  'connection_uri',
  'database_url',
]);

/** `<prefix>_key` is a secret unless the prefix names a structural key. */
const SAFE_KEY_PREFIXES = new Set([
  'primary',
  'foreign',
  'unique',
  'natural',
  'surrogate',
  'business',
  'composite',
  'sort',
  'sorting',
  'partition',
  'partitioning',
  'cluster',
  'clustering',
  'distribution',
  'dist',
  'shard',
  'sharding',
  'merge',
  'upsert',
  'conflict',
  'dedup',
  'dedupe',
  'join',
  'lookup',
  'match',
  'group',
  'order',
  'index',
  'row',
  'record',
  'cursor',
  'incremental',
  'state',
  'cache',
  'idempotency',
  'object',
  'file',
  's3',
  'map',
  'dict',
  'hash',
  'public',
  'event',
  'metric',
  'config',
  'param',
]);

/** Suffixes that turn a secret-looking name into metadata (`token_count`, `auth_type`, `password_env`). */
const SAFE_LAST_SEGMENTS = new Set([
  'count',
  'counts',
  'total',
  'tokens',
  'estimate',
  'est',
  'ms',
  'seconds',
  'bytes',
  'length',
  'len',
  'size',
  'type',
  'types',
  'method',
  'mode',
  'kind',
  'scheme',
  'provider',
  'enabled',
  'required',
  'present',
  'set',
  'source',
  'env',
  'var',
  'url',
  'uri',
  'endpoint',
  'file',
  'path',
  'ref',
  'hint',
  'policy',
  'fields',
]);

/** Splits `apiKey`, `API-Key`, `x.api_key` into lowercase segments: `['api', 'key']`. */
function keySegments(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((s) => s.length > 0);
}

function normaliseKey(key: string): string {
  return keySegments(key).join('_');
}

/**
 * Whether values under `key` are secret, by name alone: the one key policy shared by the redactor and the
 * connection display masking (src/connections/mask.ts). `extra` adds exact names (e.g. from component specs).
 */
export function isSecretKeyName(key: string, extra: Iterable<string> = []): boolean {
  const segments = keySegments(key);
  const name = segments.join('_');
  for (const e of extra) if (normaliseKey(e) === name) return true;
  return builtInSecretKey(segments);
}

function builtInSecretKey(segments: readonly string[]): boolean {
  const n = segments.length;
  if (n === 0) return false;
  const last = segments[n - 1] as string;
  if (n > 1 && SAFE_LAST_SEGMENTS.has(last)) return false;
  if (n === 1 && last === 'key') return true;
  if (SECRET_LAST_SEGMENTS.has(last)) return true;
  for (let i = 0; i < n; i++) {
    const seg = segments[i] as string;
    if (SECRET_SEGMENTS.has(seg)) return true;
    if (i + 1 < n && SECRET_PAIRS.has(`${seg}_${segments[i + 1]}`)) return true;
  }
  if (last === 'key' && n > 1) {
    const prefix = segments.slice(0, -1).join('_');
    const head = segments[n - 2] as string;
    return !SAFE_KEY_PREFIXES.has(prefix) && !SAFE_KEY_PREFIXES.has(head);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Free-text patterns

/** Assignment keywords for `kw=value` / `"kw": value` / `kw: value` (line start). Longest first. */
const ASSIGN_KEYWORDS = [
  'connection[_-]?string',
  'client[_-]?secret',
  'private[_-]?key',
  'secret[_-]?key',
  'access[_-]?key',
  'session[_-]?key',
  'service[_-]?role[_-]?key',
  'anon[_-]?key',
  'api[_-]?key',
  'authorization',
  'credentials?',
  'passphrase',
  'password',
  'passwd',
  'signature',
  'secret',
  'token',
  'auth',
  'pwd',
  'dsn',
].join('|');

/**
 * `kw=value` (query strings, key=value text). The keyword may end a longer name (`db_password=`,
 * `X-Amz-Signature=`): it only has to start after a non-alphanumeric character. No prefix is matched, which
 * keeps the scan linear.
 */
const ASSIGN_EQ = new RegExp(
  `(?<![A-Za-z0-9])(?:${ASSIGN_KEYWORDS})(\\s*=\\s*)("[^"]*"|'[^']*'|[^\\s&;,'"<>)}\\]]+)`,
  'gi',
);
/** `"kw": value` as in JSON (the key, or its last part, in double quotes). */
const ASSIGN_JSON = new RegExp(
  `(?<![A-Za-z0-9])(?:${ASSIGN_KEYWORDS})("\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"|[^\\s,}\\]]+)`,
  'gi',
);
/** `kw: value` at the start of a line (YAML, HTTP headers, `-` list items). */
const ASSIGN_LINE = new RegExp(
  `^([ \\t]*(?:-[ \\t]+)?(?:[A-Za-z0-9]+[_.-])*(?:${ASSIGN_KEYWORDS})[ \\t]*:[ \\t]*)([^\\r\\n]+)`,
  'gim',
);
/** `?key=` / `&key=` (Google-style API keys in URLs). */
const QUERY_KEY = /([?&](?:key|sig)=)([^\s&#'"<>]+)/gi;
/** URL userinfo with a password: keeps scheme and user, masks the password. */
const URL_USERINFO =
  /\b([a-z][a-z0-9+.-]{0,31}:\/\/)([^\s:@/?#'"<>`]*):([^\s/?#'"<>`]+)@(?=[^\s@/?#'"<>`]*(?:[/?#\s'"<>`]|$))/gi;
/** `Bearer <token>` / `Basic <base64>` / `Token <token>` credentials. */
const AUTH_SCHEME = /\b(Bearer|Basic|Token|Digest)(\s+)([A-Za-z0-9._~+/=-]+)/gi;
/** JWT: base64url JSON header (`eyJ`), payload and (possibly empty) signature. */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
/** PEM private key block headers (the block runs to its END line, or to the end of the text). */
const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----/g;
/** Well-known API key / token shapes. */
const KEY_SHAPES: readonly RegExp[] = [
  /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/g, // OpenAI / Anthropic style
  /(?<![A-Za-z0-9_])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g, // Stripe
  /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub tokens
  /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,}/g, // GitHub fine-grained PAT
  /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}/g, // GitLab PAT
  /(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}(?![0-9A-Za-z])/g, // AWS access key ids
  /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack
  /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/g, // Google API keys
  /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}/g, // npm tokens
  /(?<![A-Za-z0-9])sbp_[a-f0-9]{40}/g, // Supabase personal access tokens
];

/** Values an assignment may hold that are not secrets. */
function harmlessAssignedValue(raw: string): boolean {
  const v = raw.replace(/^["']|["']$/g, '').trim();
  return (
    v === '' ||
    v === MASK ||
    /^\*+$/.test(v) ||
    /^(?:null|none|true|false|yes|no|undefined|\[redacted\]|<redacted>|\*\*\*masked\*\*\*)$/i.test(v) ||
    /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-[^}]*)?\}$/.test(v) ||
    /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(v)
  );
}

function maskAssigned(raw: string): string {
  if (harmlessAssignedValue(raw)) return raw;
  const quote = raw[0] === '"' || raw[0] === "'" ? raw[0] : '';
  return quote && raw.endsWith(quote) && raw.length >= 2 ? `${quote}${MASK}${quote}` : MASK;
}

/** `${VAR}` reference: shows which variable a secret comes from, reveals nothing. */
const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** Shannon entropy in bits per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / text.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** A whole string that looks like a random credential: long, mixed case and digits, high entropy. */
export function looksLikeCredential(value: string): boolean {
  if (value.length < 32 || value.length > 512) return false;
  if (!/^[A-Za-z0-9_+/=-]+$/.test(value)) return false;
  if (!/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/[0-9]/.test(value)) return false;
  return entropy(value) >= 4.2;
}

/** Masks PEM private key blocks; a block without its END line is masked to the end of the text. */
function maskPrivateKeys(text: string): string {
  if (!text.includes('PRIVATE KEY-----')) return text;
  let out = '';
  let from = 0;
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) {
    if (m.index < from) continue;
    const endMarker = `-----END ${m[1]}PRIVATE KEY-----`;
    const end = text.indexOf(endMarker, m.index + m[0].length);
    out += `${text.slice(from, m.index)}${MASK}`;
    from = end === -1 ? text.length : end + endMarker.length;
    PEM_BEGIN.lastIndex = from;
    if (end === -1) break;
  }
  return out + text.slice(from);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------------------

export function createRedactor(options: RedactorOptions = {}): Redactor {
  const extraKeys = new Set<string>();
  const values = new Set<string>();
  let valuePattern: RegExp | undefined;

  const addSecrets = (more: RedactorOptions): void => {
    for (const key of more.secretKeys ?? []) {
      const name = key.includes('/') ? (key.split('/').filter(Boolean).pop() ?? '') : key;
      const normal = normaliseKey(name.replace(/~1/g, '/').replace(/~0/g, '~'));
      if (normal) extraKeys.add(normal);
    }
    let changed = false;
    for (const value of more.secretValues ?? []) {
      if (typeof value !== 'string' || value.length < MIN_SECRET_VALUE_LENGTH || ENV_REFERENCE.test(value)) {
        continue;
      }
      for (const variant of [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) {
        if (variant.length >= MIN_SECRET_VALUE_LENGTH && !values.has(variant)) {
          values.add(variant);
          changed = true;
        }
      }
    }
    if (changed) {
      const sorted = [...values].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
      valuePattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
    }
  };
  addSecrets(options);

  const isSecretKey = (key: string): boolean => {
    const segments = keySegments(key);
    if (extraKeys.has(segments.join('_'))) return true;
    return builtInSecretKey(segments);
  };

  const redactText = (text: string): string => {
    if (text.length < 4) return text;
    let out = text;
    if (valuePattern) out = out.replace(valuePattern, MASK);
    out = maskPrivateKeys(out);
    out = out.replace(URL_USERINFO, (_m, scheme: string, user: string, pass: string) =>
      pass === MASK ? `${scheme}${user}:${pass}@` : `${scheme}${user}:${MASK}@`,
    );
    out = out.replace(JWT, MASK);
    out = out.replace(AUTH_SCHEME, (m, scheme: string, space: string, token: string) => {
      if (token === MASK || token.startsWith(MASK)) return m;
      // Prose ("Bearer tokens", "Basic Authentication") is a word; credentials carry digits, symbols or
      // case changes inside.
      if (token.length < 8 || !/[0-9._~+/=-]|[a-z][A-Z]/.test(token)) return m;
      return `${scheme}${space}${MASK}`;
    });
    for (const shape of KEY_SHAPES) out = out.replace(shape, MASK);
    out = out.replace(ASSIGN_JSON, (m, sep: string, value: string) => {
      return `${m.slice(0, m.length - sep.length - value.length)}${sep}${maskAssigned(value)}`;
    });
    out = out.replace(ASSIGN_EQ, (m, eq: string, value: string) => {
      return `${m.slice(0, m.length - eq.length - value.length)}${eq}${maskAssigned(value)}`;
    });
    out = out.replace(ASSIGN_LINE, (m, head: string, value: string) => {
      const trimmed = value.trim();
      // A nested mapping (`auth:` followed by nothing) or a value already masked stays.
      if (trimmed === '' || trimmed === '|' || trimmed === '>' || trimmed.startsWith(MASK)) return m;
      if (/^(?:Bearer|Basic|Token|Digest)\s+\*\*\*$/i.test(trimmed)) return m;
      return `${head}${maskAssigned(trimmed)}`;
    });
    out = out.replace(QUERY_KEY, (_m, head: string, value: string) => `${head}${maskAssigned(value)}`);
    return out;
  };

  const redactValue = (value: unknown): JsonValue => {
    const seen = new WeakSet<object>();
    const walk = (v: unknown, secret: boolean): JsonValue => {
      if (v === null || v === undefined) return null;
      if (typeof v === 'boolean') return v;
      if (secret) {
        if (typeof v === 'string' && (v === '' || ENV_REFERENCE.test(v))) return v;
        return MASK;
      }
      if (typeof v === 'string') {
        const text = redactText(v);
        return text === v && looksLikeCredential(v) ? MASK : text;
      }
      if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'symbol' || typeof v === 'function') return null;
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
      if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
      if (typeof v !== 'object') return redactText(String(v));
      if (seen.has(v)) return '[circular]';
      seen.add(v);
      try {
        if (v instanceof Error) {
          const out: JsonObject = { name: v.name, message: redactText(v.message) };
          const code = (v as { code?: unknown }).code;
          if (typeof code === 'string' || typeof code === 'number') out.code = walk(code, false);
          return out;
        }
        if (Array.isArray(v)) return v.map((item) => walk(item, false));
        if (v instanceof Set) return [...v].map((item) => walk(item, false));
        const entries: [string, unknown][] =
          v instanceof Map ? [...v.entries()].map(([k, x]) => [String(k), x]) : Object.entries(v);
        const out: JsonObject = {};
        for (const [k, x] of entries) {
          if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
          out[redactText(k)] = walk(x, isSecretKey(k));
        }
        return out;
      } finally {
        seen.delete(v);
      }
    };
    return walk(value, false);
  };

  return { redactValue, redactText, isSecretKey, addSecrets };
}
