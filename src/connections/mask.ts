/**
 * Masking connection descriptors for display (`osiris connections list`, `validate`, the agent and MCP).
 *
 * Input is the raw descriptor as written in osiris_connections.yaml. A secret-looking key shows `***`
 * unless its value is made only of `${VAR}` references (then the reference itself is shown: it names a
 * variable, not a secret; a literal default inside it is masked). URLs and DSNs with an embedded password
 * keep everything but the password: `postgresql://user:***@host:5432/db`. Pure functions.
 */
import { isSecretKeyName } from '../observability/redact.js';
import type { Registry } from '../registry/registry.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import { isPureEnvRef, tokenizeEnvRefs } from './env.js';

export const MASK = '***';

/** Built-in secret keys per family, used on top of whatever the registry's specs declare. */
const FAMILY_SECRET_KEYS: Record<string, readonly string[]> = {
  mysql: ['password'],
  postgres: ['password', 'dsn'],
  supabase: ['key', 'service_role_key', 'anon_key', 'pg_dsn', 'password'],
  graphql: ['auth_token', 'token', 'api_key', 'auth_password', 'password', 'headers'],
};

/** Whether a key holds a secret: the shared key policy of the redactor, plus `extra` names. */
export function isSecretKey(key: string, extra: Iterable<string> = []): boolean {
  return isSecretKeyName(key, extra);
}

/** `${VAR:-literal}` → `${VAR:-***}` (a literal default may be a secret); plain references unchanged. */
function maskEnvRefDefaults(value: string): string {
  return tokenizeEnvRefs(value)
    .map((t) => {
      if (t.kind !== 'ref') return t.kind === 'text' ? t.text : t.raw;
      if (t.operator === undefined || !t.default) return t.raw;
      return `\${${t.name}${t.operator}${MASK}}`;
    })
    .join('');
}

const URL_WITH_USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^:@/?#]*):(.*)@([^@]*)$/s;
const QUERY_PARAM = /([?&;])([^=&#;]+)=([^&#;]*)/g;
const KEYWORD_ASSIGNMENT =
  /\b(password|passwd|pwd|secret|token|api_?key|sslpassword)(\s*=\s*)('[^']*'|"[^"]*"|[^\s&;,]+)/gi;

/**
 * Masks the secrets inside a string without hiding the rest: the password of `scheme://user:pass@host`,
 * secret query parameters (`?password=…`, `&api_key=…`) and `password=…` keyword pairs (libpq style).
 * Parts that are only `${VAR}` references stay visible.
 */
export function maskSecretsInString(value: string): string {
  let out = value;
  const userinfo = URL_WITH_USERINFO.exec(out);
  if (userinfo) {
    const [, scheme, user, password, rest] = userinfo as unknown as [string, string, string, string, string];
    const shown = password === '' || isPureEnvRef(password) ? maskEnvRefDefaults(password) : MASK;
    out = `${scheme}${user}:${shown}@${rest}`;
  }
  out = out.replace(QUERY_PARAM, (whole, sep: string, name: string, v: string) =>
    isSecretKey(decodeURIComponentSafe(name)) && v !== '' && !isPureEnvRef(v)
      ? `${sep}${name}=${MASK}`
      : whole,
  );
  out = out.replace(KEYWORD_ASSIGNMENT, (whole, name: string, eq: string, v: string) =>
    isPureEnvRef(v) ? whole : `${name}${eq}${MASK}`,
  );
  return out;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The display form of a value held by a secret key. */
function maskSecretValue(value: JsonValue): JsonValue {
  if (value === null) return null;
  if (typeof value === 'string') {
    if (value === '') return '';
    if (isPureEnvRef(value)) return maskEnvRefDefaults(value);
    if (URL_WITH_USERINFO.test(value)) {
      const masked = maskSecretsInString(value);
      // Only show the URL when its password really was hidden (a literal one, or a reference).
      if (masked !== value || isPureEnvRef(URL_WITH_USERINFO.exec(value)?.[3] ?? '')) return masked;
    }
    return MASK;
  }
  if (Array.isArray(value)) return value.map(maskSecretValue);
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskSecretValue(v);
    return out;
  }
  return MASK;
}

function maskValue(key: string | undefined, value: JsonValue, secretKeys: readonly string[]): JsonValue {
  if (key !== undefined && isSecretKey(key, secretKeys)) return maskSecretValue(value);
  if (typeof value === 'string') return maskSecretsInString(value);
  if (Array.isArray(value)) return value.map((v) => maskValue(undefined, v, secretKeys));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(k, v, secretKeys);
    return out;
  }
  return value;
}

/**
 * The descriptor of `family` with secrets masked, for display. `secretKeys` adds key names the component
 * specs declare secret (see `connectionSecretKeys`). The `default` marker, if present, is kept.
 */
export function maskConnectionForDisplay(
  family: string,
  fields: JsonObject,
  secretKeys: Iterable<string> = [],
): JsonObject {
  const keys = [...new Set([...(FAMILY_SECRET_KEYS[family] ?? []), ...secretKeys])];
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(fields)) out[k] = maskValue(k, v, keys);
  return out;
}

/**
 * Secret key names the registry declares for a family's connections: the heads of `secrets` / `x-secret`
 * pointers of `<family>.*` components, plus the fields named by `/resolved_connection/<field>` pointers.
 */
export function connectionSecretKeys(family: string, registry: Registry | undefined): string[] {
  const keys = new Set<string>(FAMILY_SECRET_KEYS[family] ?? []);
  if (!registry) return [...keys].sort();
  for (const name of registry.names()) {
    if (!name.startsWith(`${family}.`)) continue;
    const spec = registry.get(name)?.spec;
    for (const key of registry.secretKeys(name)) if (key !== 'resolved_connection') keys.add(key);
    for (const pointer of [...(spec?.secrets ?? []), ...(spec?.['x-secret'] ?? [])]) {
      const parts = pointer.split('/');
      if (parts[1] === 'resolved_connection' && parts[2]) keys.add(parts[2]);
    }
  }
  return [...keys].sort();
}
