/**
 * The discovery cache: one JSON file per connection in `<project cache>/discovery/<key>.json`.
 *
 * The key is the sha256 of the connection's identity — family, alias, host, port, database, user and
 * schema, never a password, key or DSN text. An entry holds the table list, the tables described so far and
 * their sample rows (already masked), stamped with the schema fingerprint it was read under. It is valid
 * while the server reports the same fingerprint and the entry is younger than its TTL.
 *
 * Writes are atomic (temp file + rename), so a reader never sees half a file, whatever other processes do.
 * Just before writing, the file on disk is read again and tables another process described under the same
 * fingerprint are kept, so concurrent discoveries of different tables add up instead of undoing each other.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SampleRow } from '../observability/sample-mask.js';
import type { ResolvedConnection } from '../runtime/driver.js';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import type { JsonValue } from '../yaml/json.js';
import type { TableDetail, TableRef, TableSummary } from './types.js';

/** Bumped when the file layout changes; entries of another format are ignored. */
export const CACHE_FORMAT = 1;

/** Default time to live of a cache entry (osiris.yaml `discovery.cache_ttl_seconds`). */
export const DEFAULT_TTL_SECONDS = 3600;

/** What identifies a connection's server and namespace. Holds no secret by construction. */
export interface ConnectionIdentity {
  family: string;
  alias: string;
  host: string | null;
  port: string | null;
  database: string | null;
  user: string | null;
  schema: string | null;
  /** Supabase project URL (origin only) when the connection has one. */
  url: string | null;
}

export type { SampleRow } from '../observability/sample-mask.js';

export interface CachedSamples extends TableRef {
  /** How many rows were asked for; fewer rows means the table has fewer. */
  limit: number;
  rows: SampleRow[];
  /** Columns whose values were masked because their names look like secrets. */
  maskedColumns: string[];
  sampledAt: string;
}

export interface CacheEntry {
  format: typeof CACHE_FORMAT;
  key: string;
  identity: ConnectionIdentity;
  /** When the table list was read (the TTL counts from here), ISO 8601 UTC. */
  createdAt: string;
  schemaFingerprint: string;
  tables: TableSummary[];
  details: TableDetail[];
  samples: CachedSamples[];
}

export type CacheMissReason =
  | 'no_cache'
  | 'unreadable'
  | 'refresh'
  | 'identity_changed'
  | 'expired'
  | 'schema_changed';

function text(value: JsonValue | undefined): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'object') return null;
  return String(value);
}

/** host/port/database/user of a URL-style DSN (`postgresql://user:pass@host:5432/db`); never the password. */
function urlParts(dsn: string): Partial<ConnectionIdentity> {
  try {
    const url = new URL(dsn);
    const database = decodeURIComponent(url.pathname.replace(/^\/+/, '')) || null;
    return {
      host: url.hostname || null,
      port: url.port || null,
      database,
      user: url.username ? decodeURIComponent(url.username) : null,
    };
  } catch {
    return {};
  }
}

/** host/port/dbname/user of a libpq keyword DSN (`host=h port=5432 dbname=d user=u password=…`). */
function keywordParts(dsn: string): Partial<ConnectionIdentity> {
  const out: Partial<ConnectionIdentity> = {};
  for (const m of dsn.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
    const key = (m[1] as string).toLowerCase();
    const value = (m[2] as string).replace(/^'|'$/g, '');
    if (key === 'host' || key === 'hostaddr') out.host ??= value;
    else if (key === 'port') out.port = value;
    else if (key === 'dbname') out.database = value;
    else if (key === 'user') out.user = value;
  }
  return out;
}

function dsnParts(dsn: string): Partial<ConnectionIdentity> {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(dsn) ? urlParts(dsn) : keywordParts(dsn);
}

/**
 * The identity of a resolved connection: explicit fields first, then what a DSN (`dsn`, `pg_dsn`,
 * `connection_string`, `url` with a database scheme) says. Passwords are never read.
 */
export function connectionIdentity(connection: ResolvedConnection): ConnectionIdentity {
  const f = connection.fields;
  const dsnText = text(f.pg_dsn) ?? text(f.dsn) ?? text(f.connection_string);
  const rawUrl = text(f.url);
  const urlIsDsn = rawUrl !== null && /^(postgres(ql)?|mysql|mariadb):\/\//i.test(rawUrl);
  const fromDsn = dsnText ? dsnParts(dsnText) : urlIsDsn && rawUrl ? dsnParts(rawUrl) : {};
  let projectUrl: string | null = null;
  if (rawUrl && !urlIsDsn) {
    try {
      projectUrl = new URL(rawUrl).origin;
    } catch {
      projectUrl = null;
    }
  } else if (text(f.project_id)) {
    projectUrl = `https://${text(f.project_id)}.supabase.co`;
  }
  return {
    family: connection.family,
    alias: connection.alias,
    host: text(f.host) ?? fromDsn.host ?? null,
    port: text(f.port) ?? fromDsn.port ?? null,
    database: text(f.database) ?? text(f.dbname) ?? fromDsn.database ?? null,
    user: text(f.user) ?? text(f.username) ?? fromDsn.user ?? null,
    schema: text(f.schema) ?? null,
    url: projectUrl,
  };
}

/** The cache key: hex sha256 of the identity's canonical JSON. */
export function cacheKey(identity: ConnectionIdentity): string {
  return sha256Hex(canonicalJson(identity));
}

/** `<cacheRoot>/discovery/<key>.json` (`cacheRoot` is the project's `paths.cache`). */
export function cacheFile(cacheRoot: string, key: string): string {
  return join(cacheRoot, 'discovery', `${key}.json`);
}

/** In-memory map key of a table (schema and name kept apart, so dots in names cannot collide). */
export function tableKey(table: TableRef): string {
  return JSON.stringify([table.schema, table.name]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function looksLikeEntry(value: unknown): value is CacheEntry {
  return (
    isObject(value) &&
    value.format === CACHE_FORMAT &&
    typeof value.key === 'string' &&
    isObject(value.identity) &&
    typeof value.createdAt === 'string' &&
    !Number.isNaN(Date.parse(value.createdAt)) &&
    typeof value.schemaFingerprint === 'string' &&
    Array.isArray(value.tables) &&
    Array.isArray(value.details) &&
    Array.isArray(value.samples)
  );
}

export type CacheRead =
  | { entry: CacheEntry; problem?: undefined }
  | { entry?: undefined; problem: 'no_cache' | 'unreadable' };

/** Reads a cache file; a missing file is `no_cache`, anything unparsable or of another format `unreadable`. */
export function readCache(file: string): CacheRead {
  if (!existsSync(file)) return { problem: 'no_cache' };
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return looksLikeEntry(parsed) ? { entry: parsed } : { problem: 'unreadable' };
  } catch {
    return { problem: 'unreadable' };
  }
}

export interface ValidityCheck {
  identity: ConnectionIdentity;
  schemaFingerprint: string;
  now: Date;
  ttlSeconds: number;
}

/** Why `entry` cannot be used, or `undefined` when it can. */
export function invalidReason(entry: CacheEntry, check: ValidityCheck): CacheMissReason | undefined {
  if (canonicalJson(entry.identity) !== canonicalJson(check.identity)) return 'identity_changed';
  if (entryAgeSeconds(entry, check.now) >= check.ttlSeconds) return 'expired';
  if (entry.schemaFingerprint !== check.schemaFingerprint) return 'schema_changed';
  return undefined;
}

/** Age of an entry in whole seconds (never negative, even when clocks disagree). */
export function entryAgeSeconds(entry: CacheEntry, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(entry.createdAt)) / 1000));
}

function mergeByTable<T extends TableRef>(ours: readonly T[], theirs: readonly T[]): T[] {
  const out = new Map<string, T>();
  for (const item of theirs) out.set(tableKey(item), item);
  for (const item of ours) out.set(tableKey(item), item);
  return [...out.values()].sort(compareTables);
}

/** Schema then name, as the adapters list them (null schema first). */
export function compareTables(a: TableRef, b: TableRef): number {
  const sa = a.schema ?? '';
  const sb = b.schema ?? '';
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Writes `entry` atomically. When the file on disk belongs to the same connection and schema fingerprint and
 * is not older than `entry`, details and samples it has that `entry` lacks are kept (ours win for tables both
 * have); an older generation on disk is simply replaced.
 * Returns what was written.
 */
export function writeCache(file: string, entry: CacheEntry): CacheEntry {
  let merged = entry;
  const onDisk = readCache(file).entry;
  if (
    onDisk &&
    onDisk.key === entry.key &&
    onDisk.schemaFingerprint === entry.schemaFingerprint &&
    Date.parse(onDisk.createdAt) >= Date.parse(entry.createdAt) &&
    canonicalJson(onDisk.identity) === canonicalJson(entry.identity)
  ) {
    merged = {
      ...entry,
      details: mergeByTable(entry.details, onDisk.details),
      samples: mergeByTable(entry.samples, onDisk.samples),
    };
  }
  writeFileAtomic(file, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}
