/**
 * Project configuration (`osiris.yaml`) and the filesystem contract: where builds, run logs, AIOP packages,
 * the run index, caches and sessions live. Every path is absolute, resolved against the project root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z as Z } from 'zod';
import { OsirisError } from '../diagnostics/diagnostic.js';
import { lazyZod } from '../util/lazy-zod.js';
import { isJsonObject, type JsonObject } from '../yaml/json.js';
import { type LocatedDocument, parseLocatedYaml } from '../yaml/located.js';

export const CONFIG_FILE = 'osiris.yaml';

/** Seconds a writer waits for another run holding its target, unless `runtime.lock_timeout` says otherwise. */
export const DEFAULT_LOCK_TIMEOUT_S = 300;

/** The fix hint of `write.lock_timeout`, the same for every writer. */
export const LOCK_TIMEOUT_HINT =
  'wait for that run to finish, or raise runtime.lock_timeout in osiris.yaml (seconds; OSIRIS_LOCK_TIMEOUT overrides)';

/** `auto` or a DuckDB size. */
const MEMORY_LIMIT = /^(auto|\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%))$/i;

/** Bytes of output files a remote worker may send back unless `execution.max_return_bytes` says otherwise. */
const DEFAULT_MAX_RETURN_BYTES = 1024 ** 3;

/**
 * osiris.yaml's schema in zod: the reference for what is valid, and the wording of every CFG003. zod is
 * loaded only when `quickParse` (below) cannot vouch for a file by itself.
 */
function buildConfigSchema(z: typeof Z) {
  const filesystemSchema = z
    .object({
      base_path: z.string().default(''),
      pipelines_dir: z.string().default('pipelines'),
      build_dir: z.string().default('build'),
      aiop_dir: z.string().default('aiop'),
      run_logs_dir: z.string().default('run_logs'),
      sessions_dir: z.string().default('.osiris/sessions'),
      cache_dir: z.string().default('.osiris/cache'),
      index_dir: z.string().default('.osiris/index'),
      profiles: z
        .object({
          enabled: z.boolean().default(true),
          values: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/)).default(['dev', 'staging', 'prod']),
          default: z.string().nullable().default('dev'),
        })
        .prefault({}),
      naming: z
        .object({
          manifest_short_len: z.number().int().min(3).max(16).default(7),
        })
        .prefault({}),
    })
    .prefault({});

  const runtimeSchema = z
    .object({
      /**
       * DuckDB memory_limit for a run's data plane; beyond it DuckDB spills to the run's scratch folder. `auto`
       * sizes it from the run (src/runtime/plane-limits.ts).
       */
      memory_limit: z.string().regex(MEMORY_LIMIT, 'auto, or a size like 512MB, 2GB or 50%').default('auto'),
      /** DuckDB worker threads; default: one per core. */
      threads: z.number().int().min(1).max(256).optional(),
      /**
       * Pass an extractor's rows straight into its only consumer when that is a writer that can take them
       * (no DuckDB table in between); false materialises every step.
       */
      pass_through: z.boolean().default(true),
      /**
       * Run a file source → SQL transforms → file writer chain whose intermediate outputs nothing else reads
       * as one streaming DuckDB statement (docs/adr/0018); false materialises every step.
       */
      fuse: z.boolean().default(true),
      /**
       * Seconds a writer waits for another run writing the same target (file lock, Postgres advisory lock,
       * MySQL named lock) before it gives up.
       */
      lock_timeout: z.number().int().min(0).max(86_400).default(DEFAULT_LOCK_TIMEOUT_S),
    })
    .prefault({});

  const securitySchema = z
    .object({
      /**
       * Pipelines the chat agent writes (and pipelines arriving through MCP) may write files outside the
       * project folder. Hand-written pipelines always may.
       */
      allow_paths_outside_project: z.boolean().default(false),
      /** Folders besides the project folder those pipelines may write into (relative to the project root). */
      allowed_output_roots: z.array(z.string().min(1)).default([]),
    })
    .prefault({});

  const discoverySchema = z
    .looseObject({
      /**
       * Seconds any single statement of discovery, the chat agent's `run_query` or the MCP server may run
       * before the database cancels it (`statement_timeout` / `max_statement_time` / `max_execution_time`).
       */
      statement_timeout: z.number().positive().max(3600).default(30),
    })
    .prefault({});

  /** Where runs execute (src/targets/; docs/reference/targets.md). Loose: targets add their own keys. */
  const executionSchema = z
    .looseObject({
      /** Default target of `osiris run` (--target and OSIRIS_EXECUTION_TARGET override). */
      target: z.string().min(1).optional(),
      /** Bytes of output files a remote worker may send back (default 1 GiB). */
      max_return_bytes: z.number().int().min(0).default(DEFAULT_MAX_RETURN_BYTES),
      /** `remote`: output files stay where the worker wrote them (no copy back, no size limit). */
      outputs: z.enum(['return', 'remote']).default('return'),
      /** The fleet's queue (`redis://host:6379/0`) for `--target queue`, schedules and `fleet status`. */
      queue: z
        .string()
        .regex(/^rediss?:\/\//)
        .optional(),
    })
    .prefault({});

  const mcpSchema = z
    .looseObject({
      /** The MCP server's `run` tool may run a pipeline it compiled (off: an assistant can only prepare runs). */
      allow_run: z.boolean().default(false),
    })
    .prefault({});

  return z.looseObject({
    version: z.union([z.string(), z.number()]).optional(),
    filesystem: filesystemSchema,
    runtime: runtimeSchema,
    security: securitySchema,
    discovery: discoverySchema,
    execution: executionSchema,
    mcp: mcpSchema,
  });
}

/** osiris.yaml after defaults: what `buildConfigSchema(z).parse` returns, for the sections read here. */
export interface ParsedConfig {
  filesystem: {
    base_path: string;
    pipelines_dir: string;
    build_dir: string;
    aiop_dir: string;
    run_logs_dir: string;
    sessions_dir: string;
    cache_dir: string;
    index_dir: string;
    profiles: { enabled: boolean; values: string[]; default: string | null };
    naming: { manifest_short_len: number };
  };
  runtime: {
    memory_limit: string;
    threads?: number;
    pass_through: boolean;
    fuse: boolean;
    lock_timeout: number;
  };
  security: { allow_paths_outside_project: boolean; allowed_output_roots: string[] };
  discovery: { statement_timeout: number };
  execution: { target?: string; max_return_bytes: number; outputs: 'return' | 'remote'; queue?: string };
  mcp: { allow_run: boolean };
}

let configSchema: ReturnType<typeof buildConfigSchema> | undefined;

/** The zod schema, built (and zod loaded) on first use. Exported for the test that keeps `quickParse` honest. */
export function zodConfigSchema(): ReturnType<typeof buildConfigSchema> {
  configSchema ??= buildConfigSchema(lazyZod().z);
  return configSchema;
}

/** Thrown inside `quickParse` at the first value it cannot vouch for: zod then decides, and words the error. */
const UNSURE = Symbol('unsure');

const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const intIn =
  (min: number, max: number) =>
  (v: unknown): v is number =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const matches =
  (pattern: RegExp) =>
  (v: unknown): v is string =>
    isString(v) && pattern.test(v);
const arrayOf =
  <T>(item: (v: unknown) => v is T) =>
  (v: unknown): v is T[] =>
    Array.isArray(v) && v.every(item);

function section(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = parent[key];
  if (value === undefined) return {};
  if (!isJsonObject(value)) throw UNSURE;
  return value;
}

function take<T>(from: Record<string, unknown>, key: string, ok: (v: unknown) => v is T, fallback: T): T {
  const value = from[key];
  if (value === undefined) return fallback;
  if (!ok(value)) throw UNSURE;
  return Array.isArray(value) ? ([...value] as T) : value;
}

/**
 * The same result as `zodConfigSchema().parse(raw)` for a file whose every value is plainly valid, without
 * loading zod; undefined when anything is off (zod then reports it). The defaults are those of the schema
 * above, and test/unit/project/config-quick.test.ts checks the two agree on any input.
 */
export function quickParse(raw: JsonObject): ParsedConfig | undefined {
  try {
    const version = raw.version;
    if (version !== undefined && !isString(version) && !Number.isFinite(version)) throw UNSURE;
    const fs = section(raw, 'filesystem');
    const profiles = section(fs, 'profiles');
    const naming = section(fs, 'naming');
    const runtime = section(raw, 'runtime');
    const security = section(raw, 'security');
    const discovery = section(raw, 'discovery');
    const execution = section(raw, 'execution');
    const mcp = section(raw, 'mcp');
    const target = take(execution, 'target', (v): v is string => isString(v) && v.length > 0, undefined);
    const queue = take(execution, 'queue', matches(/^rediss?:\/\//), undefined);
    const threads = take(runtime, 'threads', intIn(1, 256), undefined);
    const timeout = take(discovery, 'statement_timeout', Number.isFinite as (v: unknown) => v is number, 30);
    if (timeout <= 0 || timeout > 3600) throw UNSURE;
    return {
      filesystem: {
        base_path: take(fs, 'base_path', isString, ''),
        pipelines_dir: take(fs, 'pipelines_dir', isString, 'pipelines'),
        build_dir: take(fs, 'build_dir', isString, 'build'),
        aiop_dir: take(fs, 'aiop_dir', isString, 'aiop'),
        run_logs_dir: take(fs, 'run_logs_dir', isString, 'run_logs'),
        sessions_dir: take(fs, 'sessions_dir', isString, '.osiris/sessions'),
        cache_dir: take(fs, 'cache_dir', isString, '.osiris/cache'),
        index_dir: take(fs, 'index_dir', isString, '.osiris/index'),
        profiles: {
          enabled: take(profiles, 'enabled', isBoolean, true),
          values: take(profiles, 'values', arrayOf(matches(/^[A-Za-z0-9_-]+$/)), ['dev', 'staging', 'prod']),
          default: take(profiles, 'default', (v): v is string | null => v === null || isString(v), 'dev'),
        },
        naming: { manifest_short_len: take(naming, 'manifest_short_len', intIn(3, 16), 7) },
      },
      runtime: {
        memory_limit: take(runtime, 'memory_limit', matches(MEMORY_LIMIT), 'auto'),
        ...(threads !== undefined ? { threads } : {}),
        pass_through: take(runtime, 'pass_through', isBoolean, true),
        fuse: take(runtime, 'fuse', isBoolean, true),
        lock_timeout: take(runtime, 'lock_timeout', intIn(0, 86_400), DEFAULT_LOCK_TIMEOUT_S),
      },
      security: {
        allow_paths_outside_project: take(security, 'allow_paths_outside_project', isBoolean, false),
        allowed_output_roots: take(security, 'allowed_output_roots', arrayOf(matches(/./)), []),
      },
      discovery: { statement_timeout: timeout },
      execution: {
        ...(target !== undefined ? { target } : {}),
        ...(queue !== undefined ? { queue } : {}),
        max_return_bytes: take(
          execution,
          'max_return_bytes',
          intIn(0, Number.MAX_SAFE_INTEGER),
          DEFAULT_MAX_RETURN_BYTES,
        ),
        outputs: take(
          execution,
          'outputs',
          (v): v is 'return' | 'remote' => v === 'return' || v === 'remote',
          'return',
        ),
      },
      mcp: { allow_run: take(mcp, 'allow_run', isBoolean, false) },
    };
  } catch (error) {
    if (error === UNSURE) return undefined;
    throw error;
  }
}

export interface ProjectPaths {
  pipelines: string;
  build: string;
  aiop: string;
  runLogs: string;
  sessions: string;
  cache: string;
  index: string;
}

export interface ProjectConfig {
  /** Absolute project root: `filesystem.base_path`, else the folder holding osiris.yaml, else the cwd. */
  root: string;
  /** Absolute path of the osiris.yaml that was read, if any. */
  configFile: string | undefined;
  paths: ProjectPaths;
  profiles: { enabled: boolean; values: string[]; default: string | null };
  manifestShortLen: number;
  /** Data plane limits for runs (`runtime:` in osiris.yaml; env OSIRIS_MEMORY_LIMIT overrides). */
  runtime: {
    memoryLimit: string;
    threads: number | undefined;
    passThrough: boolean;
    /** Fused file chains (`runtime.fuse`; env OSIRIS_FUSE overrides). */
    fuse: boolean;
    /** How long a writer waits for another run writing the same target (`runtime.lock_timeout`, ms). */
    lockTimeoutMs: number;
  };
  /** Where generated pipelines may write (`security:`; see src/project/output-confinement.ts). */
  security: {
    allowPathsOutsideProject: boolean;
    /** Absolute folders (resolved against the root, `~` expanded). */
    allowedOutputRoots: string[];
  };
  /** Discovery, chat and MCP queries (`discovery:` in osiris.yaml). */
  discovery: { statementTimeoutMs: number };
  /** Where runs execute (`execution:` in osiris.yaml). */
  execution: {
    target: string | undefined;
    maxReturnBytes: number;
    outputsRemote: boolean;
    /** `execution.queue`: the fleet's Redis URL (src/fleet/). */
    queue: string | undefined;
  };
  /** The MCP server (`mcp:` in osiris.yaml). */
  mcp: { allowRun: boolean };
  /** The whole parsed file, for sections other modules own (logging, llm, aiop, …). */
  raw: JsonObject;
}

export interface LoadProjectOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Explicit config file (e.g. `--config`). */
  configFile?: string;
}

/**
 * Finds osiris.yaml: explicit path (`--config`, else `$OSIRIS_CONFIG`), then `$OSIRIS_HOME/osiris.yaml`,
 * then the cwd. An explicit file is returned even when missing, so loading it says so.
 */
export function findConfigFile(options: LoadProjectOptions = {}): string | undefined {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const explicit = options.configFile || env.OSIRIS_CONFIG;
  if (explicit) return resolve(cwd, explicit);
  const candidates = [
    env.OSIRIS_HOME ? join(env.OSIRIS_HOME, CONFIG_FILE) : undefined,
    join(cwd, CONFIG_FILE),
  ];
  return candidates.find((p): p is string => p !== undefined && existsSync(p));
}

export function loadProjectConfig(options: LoadProjectOptions = {}): ProjectConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const configFile = findConfigFile(options);
  let raw: JsonObject = {};
  let doc: LocatedDocument | undefined;
  if (configFile) {
    if (!existsSync(configFile)) {
      throw OsirisError.of(
        'CFG001',
        `config file not found: ${configFile}`,
        { file: configFile },
        {
          hint: 'run `osiris init` to create one, or pass the right --config path',
        },
      );
    }
    doc = parseLocatedYaml(readFileSync(configFile, 'utf8'), configFile);
    if (doc.errors.length > 0) throw new OsirisError(doc.errors);
    if (doc.value !== null && doc.value !== undefined && !isJsonObject(doc.value)) {
      throw OsirisError.of('CFG002', 'osiris.yaml must be a mapping', doc.locate([]), {
        hint: 'start from the file `osiris init` writes',
      });
    }
    raw = (doc.value as JsonObject | null) ?? {};
  }
  const parsedConfig = quickParse(raw) ?? parseWithZod(raw, doc);
  const envMemoryLimit = env.OSIRIS_MEMORY_LIMIT?.trim();
  if (envMemoryLimit && !MEMORY_LIMIT.test(envMemoryLimit)) {
    throw OsirisError.of(
      'CFG005',
      `OSIRIS_MEMORY_LIMIT '${envMemoryLimit}' is neither auto nor a size`,
      { path: 'OSIRIS_MEMORY_LIMIT' },
      { hint: 'set it to auto or a size like 512MB, 2GB or 50%, or unset it to use runtime.memory_limit' },
    );
  }
  const fs = parsedConfig.filesystem;
  if (env.OSIRIS_FILESYSTEM_BASE) fs.base_path = env.OSIRIS_FILESYSTEM_BASE;
  if (env.OSIRIS_PROFILE) fs.profiles.default = env.OSIRIS_PROFILE;

  const home = env.HOME ?? '';
  const base = fs.base_path.replace(/^~(?=$|\/)/, home);
  const configDir = configFile ? dirname(configFile) : cwd;
  const root = base ? resolve(configDir, base) : configDir;
  const under = (p: string) => (isAbsolute(p) ? p : join(root, p));

  if (
    fs.profiles.enabled &&
    fs.profiles.default !== null &&
    !fs.profiles.values.includes(fs.profiles.default)
  ) {
    throw OsirisError.of(
      'CFG004',
      `default profile '${fs.profiles.default}' is not one of filesystem.profiles.values (${fs.profiles.values.join(', ')})`,
      { file: configFile, path: 'filesystem.profiles.default' },
      { hint: 'add it to filesystem.profiles.values or pick one of them' },
    );
  }

  return {
    root,
    configFile,
    paths: {
      pipelines: under(fs.pipelines_dir),
      build: under(fs.build_dir),
      aiop: under(fs.aiop_dir),
      runLogs: under(fs.run_logs_dir),
      sessions: under(fs.sessions_dir),
      cache: under(fs.cache_dir),
      index: under(fs.index_dir),
    },
    profiles: { ...fs.profiles },
    manifestShortLen: fs.naming.manifest_short_len,
    runtime: {
      memoryLimit: envMemoryLimit || parsedConfig.runtime.memory_limit,
      threads: parsedConfig.runtime.threads,
      passThrough: envFlag(env.OSIRIS_PASS_THROUGH) ?? parsedConfig.runtime.pass_through,
      fuse: envFlag(env.OSIRIS_FUSE) ?? parsedConfig.runtime.fuse,
      lockTimeoutMs: lockTimeoutSeconds(env, parsedConfig.runtime.lock_timeout) * 1000,
    },
    security: {
      allowPathsOutsideProject: parsedConfig.security.allow_paths_outside_project,
      allowedOutputRoots: parsedConfig.security.allowed_output_roots.map((p) =>
        resolve(root, p.replace(/^~(?=$|\/)/, home)),
      ),
    },
    discovery: { statementTimeoutMs: Math.round(parsedConfig.discovery.statement_timeout * 1000) },
    execution: {
      target: parsedConfig.execution.target,
      maxReturnBytes: parsedConfig.execution.max_return_bytes,
      outputsRemote: parsedConfig.execution.outputs === 'remote',
      queue: env.OSIRIS_QUEUE || parsedConfig.execution.queue,
    },
    mcp: { allowRun: parsedConfig.mcp.allow_run },
    raw,
  };
}

/** zod's verdict on a file `quickParse` could not vouch for: CFG003 for each problem, located in the file. */
function parseWithZod(raw: JsonObject, doc: LocatedDocument | undefined): ParsedConfig {
  const parsed = zodConfigSchema().safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new OsirisError(
    parsed.error.issues.map((issue) => {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      return {
        severity: 'error' as const,
        code: 'CFG003',
        message: `invalid value for '${path.join('.')}': ${issue.message}`,
        location: doc?.locate(path, 'value') ?? {},
        hint: 'see docs/reference/configuration.md',
      };
    }),
  );
}

/** `OSIRIS_LOCK_TIMEOUT` (whole seconds) when set, else the configured value. */
function lockTimeoutSeconds(env: NodeJS.ProcessEnv, configured: number): number {
  const value = env.OSIRIS_LOCK_TIMEOUT?.trim();
  if (!value) return configured;
  if (!/^\d{1,5}$/.test(value))
    throw OsirisError.of(
      'CFG005',
      `OSIRIS_LOCK_TIMEOUT '${value}' is not a whole number of seconds`,
      { path: 'OSIRIS_LOCK_TIMEOUT' },
      { hint: 'set it to seconds, e.g. 60, or unset it to use runtime.lock_timeout' },
    );
  return Number(value);
}

/** `1`/`true`/`yes`/`on` → true, `0`/`false`/`no`/`off` → false, anything else (or unset) → undefined. */
function envFlag(value: string | undefined): boolean | undefined {
  const v = value?.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'no' || v === 'off') return false;
  return undefined;
}
