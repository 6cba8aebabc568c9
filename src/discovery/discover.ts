/**
 * Progressive schema discovery of one connection — what `osiris discovery run`, the chat agent and the MCP
 * server call.
 *
 * 1. The table list (names, kinds, row estimates) always.
 * 2. Details (columns with source and DuckDB types, nullability, keys) and N sample rows only for the tables
 *    asked for — or for every table (up to `maxTables`) when `samples` is given without `tables`.
 *
 * Everything is cached per connection (see cache.ts). A cached answer is reused while the server's schema
 * fingerprint is unchanged and the entry is younger than the TTL; tables not described yet are fetched and
 * added. Sample values of columns named like secrets are masked and every sample row goes through the
 * redactor, before anything is cached or returned.
 */

import type { ConnectionsConfig } from '../connections/config.js';
import type { ConnectorLookup } from '../connectors/index.js';
import {
  type Diagnostic,
  diagnostic,
  ExitCode,
  OsirisError,
  type SourceLocation,
} from '../diagnostics/diagnostic.js';
import { closestMatch } from '../diagnostics/suggest.js';
import { createRedactor, type Redactor } from '../observability/redact.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import type { ResolvedConnection } from '../runtime/driver.js';
import { isJsonObject, type JsonValue } from '../yaml/json.js';
import {
  CACHE_FORMAT,
  type CachedSamples,
  type CacheEntry,
  type CacheMissReason,
  cacheFile,
  cacheKey,
  compareTables,
  connectionIdentity,
  DEFAULT_TTL_SECONDS,
  entryAgeSeconds,
  invalidReason,
  readCache,
  type SampleRow,
  tableKey,
  writeCache,
} from './cache.js';
import type { DiscoveryAdapter, FamilyConnector, TableDetail, TableRef, TableSummary } from './types.js';

/** Sample rows per described table when `samples` is not given. */
export const DEFAULT_SAMPLES = 10;
/** Upper bound of `samples`. */
export const MAX_SAMPLES = 100;
/** Tables described at most when every table is asked for (`samples` without `tables`). */
export const DEFAULT_MAX_TABLES = 100;

/** How `discover()` and `runReadOnlyQuery()` find a connection and its connector. */
export interface ConnectionTargetOptions {
  /** `@family.alias` (or `@family` for the family's default alias). */
  ref: string;
  project: ProjectConfig;
  /** Used to resolve `${VAR}` references of the connection (`.env` files already loaded into it). */
  env: NodeJS.ProcessEnv;
  /** Adds the secret keys the family's component specs declare (for redaction). */
  registry?: Registry;
  /** Where relative paths are resolved; the project root when omitted. */
  cwd?: string;
  /** The connections file, already loaded; read from the project when omitted. */
  connections?: ConnectionsConfig;
  /** Connector lookup (tests inject a fake); the real connectors by default. */
  connectors?: ConnectorLookup;
}

export interface DiscoverOptions extends ConnectionTargetOptions {
  /**
   * Sample rows per described table (0 – 100). Given without `tables`, every table is described.
   * Defaults to 10 for the tables in `tables`.
   */
  samples?: number;
  /** Tables to describe: `name` or `schema.name`. */
  tables?: string[];
  /** Ignore the cache (it is rewritten with what is read). */
  refresh?: boolean;
  /** Cache time to live; defaults to osiris.yaml `discovery.cache_ttl_seconds`, else 3600. */
  ttlSeconds?: number;
  /** Bound on the tables described when all are asked for (default 100). */
  maxTables?: number;
  /** Clock (tests); `new Date()` by default. */
  now?: () => Date;
}

export interface DescribedTable extends TableDetail {
  /** Sample rows (masked and redacted); empty when `samples` is 0. */
  samples: SampleRow[];
  /** Rows asked for. */
  sampleLimit: number;
  /** Columns whose values are masked because their names look like secrets, in column order. */
  maskedColumns: string[];
}

export type CacheStatus = 'hit' | 'partial' | 'miss';

export interface DiscoveryResult {
  /** `@family.alias` */
  connection: string;
  family: string;
  alias: string;
  schemaFingerprint: string;
  /** Every table and view, sorted by schema then name. */
  tables: TableSummary[];
  /** The tables described, in `tables` order. */
  described: DescribedTable[];
  /** True when all tables were asked for and only the first `maxTables` were described. */
  truncated: boolean;
  cache: {
    /** hit: nothing but the fingerprint was read; partial: the list came from the cache, some details or
     * samples did not; miss: the list was read again. */
    status: CacheStatus;
    /** Why the cached list could not be used (`miss` only). */
    reason: CacheMissReason | null;
    /** sha256 of the connection identity (never of a secret). */
    key: string;
    file: string;
    createdAt: string;
    ageSeconds: number;
    ttlSeconds: number;
  };
  durationMs: number;
  /** E.g. the cache could not be written. */
  warnings: Diagnostic[];
}

// Masking: the policy lives in observability/sample-mask.ts (run output previews share it).
import { isSensitiveColumn, maskSampleRows } from '../observability/sample-mask.js';

export { isSensitiveColumn, maskSampleRows };

// ---------------------------------------------------------------------------------------------------------
// Options

function checkSamples(samples: number | undefined): void {
  if (samples === undefined) return;
  if (!Number.isInteger(samples) || samples < 0 || samples > MAX_SAMPLES) {
    throw OsirisError.of(
      'DSC001',
      `samples must be a whole number from 0 to ${MAX_SAMPLES}, got ${String(samples)}`,
      {},
      { hint: `e.g. --samples 10 (at most ${MAX_SAMPLES} rows per table)` },
    );
  }
}

/** The TTL: the option, else osiris.yaml `discovery.cache_ttl_seconds`, else 3600. */
export function discoveryTtlSeconds(project: ProjectConfig, override?: number): number {
  const where: SourceLocation = {
    ...(project.configFile ? { file: project.configFile } : {}),
    path: 'discovery.cache_ttl_seconds',
  };
  const check = (value: unknown, label: string, location: SourceLocation): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw OsirisError.of(
        'DSC005',
        `${label} must be a number of seconds ≥ 0, got ${JSON.stringify(value)}`,
        location,
        { hint: 'e.g. 3600 for one hour; 0 re-reads the schema every time' },
      );
    }
    return value;
  };
  if (override !== undefined) return check(override, 'ttlSeconds', {});
  const section = project.raw.discovery;
  if (section === undefined || section === null) return DEFAULT_TTL_SECONDS;
  if (!isJsonObject(section)) {
    throw OsirisError.of(
      'DSC005',
      "osiris.yaml 'discovery' must be a mapping",
      { ...where, path: 'discovery' },
      {
        hint: 'e.g. discovery: { cache_ttl_seconds: 3600 }',
      },
    );
  }
  const value = section.cache_ttl_seconds;
  if (value === undefined || value === null) return DEFAULT_TTL_SECONDS;
  return check(value, 'discovery.cache_ttl_seconds', where);
}

function qualified(table: TableRef): string {
  return table.schema === null ? table.name : `${table.schema}.${table.name}`;
}

/** Finds the requested tables in the list: `name` or `schema.name`, exact first, then case-insensitive. */
export function selectTables(
  all: readonly TableSummary[],
  requested: readonly string[],
  connection: string,
): TableSummary[] {
  const chosen = new Map<string, TableSummary>();
  for (const raw of requested) {
    const wanted = raw.trim();
    if (!wanted) {
      throw OsirisError.of(
        'DSC002',
        'a table name in the list is empty',
        {},
        {
          hint: 'write table names separated by commas, e.g. --tables customers,orders',
        },
      );
    }
    const matches = (caseless: boolean) => {
      const eq = (a: string, b: string) => (caseless ? a.toLowerCase() === b.toLowerCase() : a === b);
      const byQualified = all.filter((t) => eq(qualified(t), wanted));
      return byQualified.length > 0 ? byQualified : all.filter((t) => eq(t.name, wanted));
    };
    let found = matches(false);
    if (found.length === 0) found = matches(true);
    if (found.length === 0) {
      const candidates = wanted.includes('.') ? all.map(qualified) : [...new Set(all.map((t) => t.name))];
      const match = closestMatch(wanted, candidates);
      throw OsirisError.of(
        'DSC003',
        `table '${wanted}' not found in ${connection} (${all.length} table${all.length === 1 ? '' : 's'})`,
        {},
        {
          hint:
            match !== undefined
              ? `did you mean '${match}'?`
              : `run \`osiris discovery run ${connection}\` to list the tables`,
        },
      );
    }
    if (found.length > 1) {
      throw OsirisError.of(
        'DSC004',
        `table name '${wanted}' is ambiguous in ${connection}: ${found.map(qualified).join(', ')}`,
        {},
        { hint: 'qualify it with its schema, e.g. --tables schema.table' },
      );
    }
    const table = found[0] as TableSummary;
    chosen.set(tableKey(table), table);
  }
  return [...chosen.values()].sort(compareTables);
}

// ---------------------------------------------------------------------------------------------------------
// Secrets of a connection

function stringsIn(value: JsonValue | undefined): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (isJsonObject(value)) return Object.values(value).flatMap(stringsIn);
  return [];
}

/** Secret values of a resolved connection (values of secret keys, and passwords inside DSN-like strings). */
export function connectionSecretValues(
  connection: ResolvedConnection,
  isSecretKey: (key: string) => boolean,
): string[] {
  const out = new Set<string>();
  for (const [key, value] of Object.entries(connection.fields)) {
    for (const s of stringsIn(value)) {
      if (isSecretKey(key)) out.add(s);
      const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/?#]*:([^@]*)@/.exec(s);
      if (m?.[1]) {
        out.add(m[1]);
        try {
          out.add(decodeURIComponent(m[1]));
        } catch {
          // keep the raw form only
        }
      }
      const kw = /\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i.exec(s);
      if (kw?.[1]) out.add(kw[1].replace(/^'|'$/g, ''));
    }
  }
  return [...out].filter((s) => s.length > 0);
}

/** A redactor that knows the connection's secrets and the family's secret key names. */
export async function connectionRedactor(
  connection: ResolvedConnection,
  registry: Registry | undefined,
): Promise<Redactor> {
  const { connectionSecretKeys } = await import('../connections/mask.js');
  const secretKeys = connectionSecretKeys(connection.family, registry);
  const redactor = createRedactor({ secretKeys });
  redactor.addSecrets({ secretValues: connectionSecretValues(connection, redactor.isSecretKey) });
  return redactor;
}

/** An error's message (with the driver's code when it does not say it), redacted. */
export function errorText(error: unknown, redactor: Redactor): string {
  if (error instanceof OsirisError)
    return redactor.redactText(error.diagnostics.map((d) => d.message).join('; '));
  const base = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  const text = typeof code === 'string' && code && !base.includes(code) ? `${base} (${code})` : base;
  return redactor.redactText(text || 'unknown error');
}

// ---------------------------------------------------------------------------------------------------------

async function resolveFor(options: ConnectionTargetOptions): Promise<ResolvedConnection> {
  const { parseConnectionRef, resolveConnection } = await import('../connections/resolve.js');
  const parsed = parseConnectionRef(options.ref);
  let connections = options.connections;
  if (!connections) {
    const { loadConnectionsConfig } = await import('../connections/config.js');
    connections = loadConnectionsConfig({
      cwd: options.cwd ?? options.project.root,
      env: options.env,
      projectRoot: options.project.root,
    }).config;
  }
  return resolveConnection(parsed, { connections, env: options.env });
}

/** A resolved connection with its `@family.alias` label, its family's connector and its redactor. */
export interface ConnectionTarget {
  connection: ResolvedConnection;
  /** `@family.alias` */
  label: string;
  connector: FamilyConnector;
  /** Knows the connection's secret values and the family's secret key names. */
  redactor: Redactor;
}

/**
 * Resolves the reference (loading the connections file when not given), loads the family's connector and
 * builds the connection's redactor. Throws the `OsirisError`s of connection resolution (CON02x, CON03x) and
 * CON060 for a family without a connector.
 */
export async function resolveConnectionTarget(options: ConnectionTargetOptions): Promise<ConnectionTarget> {
  const connection = await resolveFor(options);
  const label = `@${connection.family}.${connection.alias}`;
  const { loadConnector, findConnector } = await import('../connectors/index.js');
  const connector = await loadConnector(connection.family, options.connectors ?? findConnector);
  const redactor = await connectionRedactor(connection, options.registry);
  return { connection, label, connector, redactor };
}

/**
 * Discovers a connection's schema progressively (see the module comment). Throws `OsirisError`: exit 2 for
 * a bad reference, unknown connection, unsupported family, bad options or an unknown table; exit 1 when the
 * server cannot be reached or a discovery query fails (messages name the connection, never a secret).
 */
export async function discover(options: DiscoverOptions): Promise<DiscoveryResult> {
  const started = Date.now();
  const now = options.now ?? (() => new Date());
  checkSamples(options.samples);
  const maxTables = options.maxTables ?? DEFAULT_MAX_TABLES;
  if (!Number.isInteger(maxTables) || maxTables < 1) {
    throw OsirisError.of('DSC001', `maxTables must be a whole number ≥ 1, got ${String(maxTables)}`);
  }
  const ttlSeconds = discoveryTtlSeconds(options.project, options.ttlSeconds);

  const { connection, label, connector, redactor } = await resolveConnectionTarget(options);

  const identity = connectionIdentity(connection);
  const key = cacheKey(identity);
  const file = cacheFile(options.project.paths.cache, key);
  const read = options.refresh ? undefined : readCache(file);
  const warnings: Diagnostic[] = [];

  /** `discovery of @f.a failed (stage, table 's.t'): <driver message>` without repeating what it says. */
  const failure = (code: string, stage: string, error: unknown, table?: TableRef) => {
    const text = errorText(error, redactor);
    const name = table ? qualified(table) : undefined;
    const context = [stage, name && !text.includes(name) ? `table '${name}'` : undefined]
      .filter(Boolean)
      .join(', ');
    const subject = text.includes(label) ? 'discovery' : `discovery of ${label}`;
    return OsirisError.of(
      code,
      `${subject} failed (${context}): ${text}`,
      {},
      {
        hint:
          code === 'DSC010'
            ? `check ${label} in osiris_connections.yaml and that the server is up (\`osiris connections doctor ${label}\`)`
            : `check that the user of ${label} may read ${name ? `'${name}'` : 'the catalogue'}`,
        exitCode: ExitCode.runtime,
      },
    );
  };

  let adapter: DiscoveryAdapter;
  try {
    adapter = await connector.openDiscovery(connection, {
      statementTimeoutMs: options.project.discovery?.statementTimeoutMs,
    });
  } catch (error) {
    throw failure('DSC010', 'connect', error);
  }

  try {
    let schemaFingerprint: string;
    try {
      schemaFingerprint = await adapter.schemaFingerprint();
    } catch (error) {
      throw failure('DSC011', 'schema fingerprint', error);
    }
    const at = now();
    let reason: CacheMissReason | null = options.refresh ? 'refresh' : (read?.problem ?? null);
    let entry: CacheEntry | undefined = read?.entry;
    if (entry) {
      const why = invalidReason(entry, { identity, schemaFingerprint, now: at, ttlSeconds });
      if (why) {
        reason = why;
        entry = undefined;
      }
    }
    let changed = false;
    let status: CacheStatus = 'hit';
    if (!entry) {
      status = 'miss';
      let tables: TableSummary[];
      try {
        tables = [...(await adapter.listTables())].sort(compareTables);
      } catch (error) {
        throw failure('DSC011', 'list tables', error);
      }
      entry = {
        format: CACHE_FORMAT,
        key,
        identity,
        createdAt: at.toISOString(),
        schemaFingerprint,
        tables,
        details: [],
        samples: [],
      };
      changed = true;
    }

    const describeAll = options.tables === undefined && options.samples !== undefined;
    let wanted: TableSummary[] = [];
    let truncated = false;
    if (options.tables !== undefined) wanted = selectTables(entry.tables, options.tables, label);
    else if (describeAll) {
      wanted = entry.tables.slice(0, maxTables);
      truncated = entry.tables.length > maxTables;
    }
    const sampleLimit = options.samples ?? DEFAULT_SAMPLES;

    const details = new Map(entry.details.map((d) => [tableKey(d), d]));
    const samples = new Map(entry.samples.map((s) => [tableKey(s), s]));
    const described: DescribedTable[] = [];
    for (const table of wanted) {
      const k = tableKey(table);
      let detail = details.get(k);
      if (!detail) {
        try {
          detail = await adapter.describeTable({ schema: table.schema, name: table.name });
        } catch (error) {
          throw failure('DSC011', 'describe', error, table);
        }
        details.set(k, detail);
        changed = true;
      }
      let rows: SampleRow[] = [];
      let maskedColumns = detail.columns.map((c) => c.name).filter((c) => isSensitiveColumn(c, redactor));
      if (sampleLimit > 0) {
        const cached = samples.get(k);
        if (cached && cached.limit >= sampleLimit) {
          rows = cached.rows.slice(0, sampleLimit);
          maskedColumns = cached.maskedColumns;
        } else {
          let raw: Array<Record<string, JsonValue>>;
          try {
            raw = await adapter.sampleRows({ schema: table.schema, name: table.name }, sampleLimit);
          } catch (error) {
            throw failure('DSC011', 'sample rows', error, table);
          }
          const masked = maskSampleRows(
            raw.slice(0, sampleLimit),
            detail.columns.map((c) => c.name),
            redactor,
          );
          rows = masked.rows;
          maskedColumns = masked.maskedColumns;
          const record: CachedSamples = {
            schema: table.schema,
            name: table.name,
            limit: sampleLimit,
            rows,
            maskedColumns,
            sampledAt: now().toISOString(),
          };
          samples.set(k, record);
          changed = true;
        }
      }
      described.push({ ...detail, samples: rows, sampleLimit, maskedColumns });
    }
    if (changed && status === 'hit') status = 'partial';

    if (changed) {
      entry = {
        ...entry,
        details: [...details.values()].sort(compareTables),
        samples: [...samples.values()].sort(compareTables),
      };
      try {
        writeCache(file, entry);
      } catch (error) {
        const why = error instanceof Error && 'code' in error ? String(error.code) : 'write error';
        warnings.push(
          diagnostic(
            'warning',
            'DSC020',
            `could not write the discovery cache ${file} (${why})`,
            {},
            {
              hint: 'check that the project cache folder (.osiris/cache) is writable',
            },
          ),
        );
      }
    }

    return {
      connection: label,
      family: connection.family,
      alias: connection.alias,
      schemaFingerprint,
      tables: entry.tables,
      described,
      truncated,
      cache: {
        status,
        reason: status === 'miss' ? (reason ?? 'no_cache') : null,
        key,
        file,
        createdAt: entry.createdAt,
        ageSeconds: entryAgeSeconds(entry, at),
        ttlSeconds,
      },
      durationMs: Date.now() - started,
      warnings,
    };
  } finally {
    await adapter.close().catch(() => undefined);
  }
}
