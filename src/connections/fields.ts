// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * The fields each connection family's connectors read, so a misspelt one (`pasword:`) is caught when the file
 * is read instead of being ignored until the server says "using password: NO". Families not listed here
 * (plugins, future engines) are not checked.
 */
import { closestMatch } from '../diagnostics/suggest.js';
import type { JsonValue } from '../yaml/json.js';

const SSL = ['ssl', 'sslmode'];
const POSTGRES = [
  'host',
  'port',
  'database',
  'dbname',
  'user',
  'username',
  'password',
  'schema',
  ...SSL,
  'dsn',
  'pg_dsn',
  'connection_string',
  'url',
];

export const CONNECTION_FIELDS: Readonly<Record<string, readonly string[]>> = {
  mysql: [
    'host',
    'port',
    'database',
    'user',
    'username',
    'password',
    ...SSL,
    'ssl_mode',
    'ssl_ca',
    'ssl_cert',
    'ssl_key',
    'dsn',
    'url',
    'connect_timeout',
  ],
  postgres: POSTGRES,
  supabase: [
    ...POSTGRES,
    'key',
    'service_role_key',
    'anon_key',
    'project_id',
    // The Python original's names for the Postgres-protocol settings (src/connectors/postgres/client.ts).
    'pg_host',
    'pg_port',
    'pg_user',
    'pg_password',
    'pg_database',
  ],
  filesystem: ['base_dir'],
};

/** Every family also takes a free-text description. */
const COMMON_FIELDS = ['description'];

export type FieldProblem =
  | { kind: 'misspelt'; field: string; suggestion: string }
  | { kind: 'unknown'; field: string; known: readonly string[] }
  | { kind: 'port'; value: JsonValue };

/** Problems with an alias's fields: unknown names (with the closest known one) and a port that is no port. */
export function checkConnectionFields(family: string, fields: Record<string, JsonValue>): FieldProblem[] {
  const known = CONNECTION_FIELDS[family];
  if (!known) return [];
  const all = [...known, ...COMMON_FIELDS];
  const out: FieldProblem[] = [];
  for (const field of Object.keys(fields)) {
    if (all.includes(field)) continue;
    const suggestion = closestMatch(field, all);
    out.push(suggestion ? { kind: 'misspelt', field, suggestion } : { kind: 'unknown', field, known: all });
  }
  if ('port' in fields && !isPort(fields.port)) out.push({ kind: 'port', value: fields.port ?? null });
  return out;
}

/** A whole number from 1 to 65535 (as a number or digits), or text holding a `${VAR}` reference. */
function isPort(value: JsonValue | undefined): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= 65535;
  if (typeof value !== 'string') return false;
  if (value.includes('${')) return true;
  return /^\d{1,5}$/.test(value.trim()) && Number(value) >= 1 && Number(value) <= 65535;
}
