/**
 * The run index: one append-only record per finished run (failed runs too), under `<project.paths.index>/`:
 *
 * - `runs.jsonl`                 every run, in the order runs finished
 * - `by_pipeline/<slug>.jsonl`   the same records, one file per pipeline
 * - `latest/<slug>.run.json`     the last finished run of each pipeline (written atomically)
 *
 * Writers serialise on a lock file (`.lock`, created with O_EXCL) so two runs finishing at the same moment in
 * two processes never interleave; each record is one `write` of one line. A lock left behind by a dead
 * process (same host, pid gone) or older than `staleMs` is broken. Readers never take the lock: they skip a
 * line that does not parse (a torn tail after a crash) instead of failing.
 *
 * Commands find runs here and never re-derive run directories from ids.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ExitCode, OsirisError } from '../diagnostics/diagnostic.js';
import { editDistance } from '../diagnostics/suggest.js';
import type { ProjectConfig } from '../project/config.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { processAlive } from '../util/process-alive.js';
import { slugify } from '../util/slug.js';
import { isJsonObject } from '../yaml/json.js';
import type { Redactor } from './redact.js';

/** How a run ended: `cancelled` by SIGINT/SIGTERM, `abandoned` when its process died (a later sweep says so). */
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled' | 'abandoned';

export const RUN_OUTCOMES: readonly RunOutcome[] = ['succeeded', 'failed', 'cancelled', 'abandoned'];

/** One line of `runs.jsonl`. */
export interface RunRecord {
  run_id: string;
  pipeline_slug: string;
  profile: string | null;
  manifest_hash: string;
  manifest_short: string;
  status: RunOutcome;
  /** ISO 8601 UTC with milliseconds. */
  started_at: string;
  finished_at: string;
  duration_ms: number;
  rows_in: number | null;
  rows_out: number | null;
  /** Run log folder, relative to the project root (absolute only when it lies outside the root). */
  run_dir: string;
  error_code?: string;
  /** Already redacted. */
  error_message?: string;
}

export const INDEX_FILES = {
  runs: 'runs.jsonl',
  byPipeline: 'by_pipeline',
  latest: 'latest',
  lock: '.lock',
} as const;

export interface LockOptions {
  /** Give up after this long (default 15 s): `LOG004`, exit 1. */
  timeoutMs?: number;
  /** A lock older than this is considered abandoned (default 60 s). */
  staleMs?: number;
}

export interface AppendRunRecordOptions extends LockOptions {
  /** Applied to the record before it is written (error messages may quote secrets). */
  redactor?: Redactor;
}

/** File name part for a pipeline slug (defensive: the slug becomes a path segment). */
export function pipelineFileSlug(pipeline: string): string {
  return slugify(pipeline) || '_';
}

export function indexPaths(project: ProjectConfig, pipeline?: string) {
  const dir = project.paths.index;
  const slug = pipeline === undefined ? undefined : pipelineFileSlug(pipeline);
  return {
    dir,
    runs: join(dir, INDEX_FILES.runs),
    lock: join(dir, INDEX_FILES.lock),
    byPipeline: slug === undefined ? undefined : join(dir, INDEX_FILES.byPipeline, `${slug}.jsonl`),
    latest: slug === undefined ? undefined : join(dir, INDEX_FILES.latest, `${slug}.run.json`),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Lock

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

interface LockOwner {
  pid?: number;
  host?: string;
  token?: string;
}

function parseOwner(text: string | undefined): LockOwner {
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    return isJsonObject(v) ? (v as LockOwner) : {};
  } catch {
    return {};
  }
}

/** Removes an abandoned lock without removing a fresh one another process took in the meantime. */
function breakStaleLock(lock: string, observed: string): void {
  const aside = `${lock}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // someone else broke it first
  }
  if (readText(aside) !== observed) {
    // We moved a lock that was just taken: put it back unless yet another one exists.
    try {
      linkSync(aside, lock);
    } catch {
      // EEXIST: a third process holds the lock now; the moved one's owner finishes unprotected (rare).
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // already gone
  }
}

/** Runs `fn` while holding `<index>/.lock`. Synchronous: the critical section is a few small writes. */
export function withIndexLock<T>(project: ProjectConfig, fn: () => T, options: LockOptions = {}): T {
  const { dir, lock } = indexPaths(project);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 60_000;
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(8).toString('hex');
  const host = hostname();
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o644);
      try {
        writeSync(
          fd,
          JSON.stringify({ pid: process.pid, host, token, created_at: new Date().toISOString() }),
        );
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const observed = readText(lock);
    if (observed !== undefined) {
      const owner = parseOwner(observed);
      let ageMs = 0;
      try {
        ageMs = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released between our open and stat: retry at once
      }
      const deadOwner = typeof owner.pid === 'number' && owner.host === host && !processAlive(owner.pid);
      if (deadOwner || ageMs > staleMs) {
        breakStaleLock(lock, observed);
        continue;
      }
    }
    if (Date.now() >= deadline) {
      throw OsirisError.of(
        'LOG004',
        `timed out after ${timeoutMs} ms waiting for the run index lock ${lock}`,
        { file: lock },
        {
          hint: 'another osiris process is writing the run index; if none is running, delete the lock file',
          exitCode: ExitCode.runtime,
        },
      );
    }
    const backoff = Math.min(2 ** Math.min(attempt, 6), 50);
    sleepSync(backoff + Math.floor(Math.random() * backoff));
  }
  try {
    return fn();
  } finally {
    if (parseOwner(readText(lock)).token === token) {
      try {
        unlinkSync(lock);
      } catch {
        // already removed
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writing

/** Appends one line with a single write, then fsyncs. */
function appendLine(file: string, line: string): void {
  const fd = openSync(file, 'a', 0o644);
  try {
    writeSync(fd, Buffer.from(line, 'utf8'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The record as written: redacted, with the identity fields (ids, not secrets) kept exact. */
function indexRecord(record: RunRecord, redactor: Redactor | undefined): RunRecord {
  const clean = (redactor ? redactor.redactValue(record) : record) as unknown as RunRecord;
  return {
    ...clean,
    run_id: record.run_id,
    pipeline_slug: record.pipeline_slug,
    manifest_hash: record.manifest_hash,
    manifest_short: record.manifest_short,
    run_dir: record.run_dir,
  };
}

/** Writes one record to every index file; the caller holds the lock. */
function writeRecordLocked(project: ProjectConfig, final: RunRecord): void {
  const line = `${JSON.stringify(final)}\n`;
  const paths = indexPaths(project, final.pipeline_slug);
  mkdirSync(join(paths.dir, INDEX_FILES.byPipeline), { recursive: true });
  appendLine(paths.runs, line);
  appendLine(paths.byPipeline as string, line);
  writeFileAtomic(paths.latest as string, `${JSON.stringify(final, null, 2)}\n`);
}

/** Appends a finished run to `runs.jsonl` and `by_pipeline/<slug>.jsonl` and moves the latest pointer. */
export function appendRunRecord(
  project: ProjectConfig,
  record: RunRecord,
  options: AppendRunRecordOptions = {},
): RunRecord {
  const final = indexRecord(record, options.redactor);
  withIndexLock(project, () => writeRecordLocked(project, final), options);
  return final;
}

/**
 * Appends `record` unless its run is already indexed (checked under the lock): two processes that find the
 * same abandoned run at once record it once. Returns whether this call wrote it.
 */
export function appendRunRecordOnce(
  project: ProjectConfig,
  record: RunRecord,
  options: AppendRunRecordOptions = {},
): boolean {
  const final = indexRecord(record, options.redactor);
  return withIndexLock(
    project,
    () => {
      const byPipeline = indexPaths(project, final.pipeline_slug).byPipeline as string;
      if (readRunRecords(byPipeline).some((r) => r.run_id === final.run_id)) return false;
      writeRecordLocked(project, final);
      return true;
    },
    options,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Reading

function isRunRecord(value: unknown): value is RunRecord {
  return (
    isJsonObject(value) &&
    typeof value.run_id === 'string' &&
    typeof value.pipeline_slug === 'string' &&
    typeof value.status === 'string'
  );
}

/** Records of one index file in file order (oldest first); unparsable lines are skipped. */
export function readRunRecords(file: string): RunRecord[] {
  const text = readText(file);
  if (text === undefined) return [];
  const out: RunRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRunRecord(value)) out.push(value);
    } catch {
      // torn or foreign line
    }
  }
  return out;
}

export interface ListRunsOptions {
  /** Pipeline slug (or name: it is slugified). */
  pipeline?: string;
  status?: string;
  profile?: string;
  limit?: number;
}

/** Runs newest first (by finish order). */
export function listRuns(project: ProjectConfig, options: ListRunsOptions = {}): RunRecord[] {
  const paths = indexPaths(project, options.pipeline);
  const slug = options.pipeline === undefined ? undefined : pipelineFileSlug(options.pipeline);
  let records = readRunRecords(paths.byPipeline ?? paths.runs).reverse();
  if (slug !== undefined) records = records.filter((r) => pipelineFileSlug(r.pipeline_slug) === slug);
  if (options.status !== undefined) records = records.filter((r) => r.status === options.status);
  if (options.profile !== undefined) records = records.filter((r) => r.profile === options.profile);
  if (options.limit !== undefined && options.limit >= 0) records = records.slice(0, options.limit);
  return records;
}

/** Pipelines that have at least one run, sorted. */
export function listIndexedPipelines(project: ProjectConfig): string[] {
  return [...new Set(readRunRecords(indexPaths(project).runs).map((r) => r.pipeline_slug))].sort();
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** The `count` existing ids closest to `input`: longest shared prefix first, then edit distance. */
export function nearestRunIds(input: string, ids: Iterable<string>, count = 3): string[] {
  const needle = input.toLowerCase();
  return [...new Set(ids)]
    .map((id) => {
      const hay = id.toLowerCase();
      return { id, prefix: commonPrefixLength(needle, hay), distance: editDistance(needle, hay) };
    })
    .sort(
      (a, b) => b.prefix - a.prefix || a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
    .slice(0, count)
    .map((x) => x.id);
}

/**
 * The run whose id equals `idOrPrefix` or uniquely starts with it (case-insensitive).
 * Not found / ambiguous / empty index → OsirisError, exit 2, naming the nearest existing ids.
 */
export function findRun(project: ProjectConfig, idOrPrefix: string): RunRecord {
  const { runs } = indexPaths(project);
  const records = readRunRecords(runs);
  const wanted = idOrPrefix.trim().toLowerCase();
  if (records.length === 0) {
    throw OsirisError.of(
      'LOG003',
      `no runs recorded yet (run index ${runs} is empty or missing)`,
      { file: runs },
      {
        hint: 'run a pipeline with `osiris run <pipeline.yaml>` first, or check --config / filesystem.index_dir',
      },
    );
  }
  const byId = new Map<string, RunRecord>();
  for (const r of records) byId.set(r.run_id, r); // last record for an id wins
  const exact = [...byId.values()].filter((r) => r.run_id.toLowerCase() === wanted);
  if (exact.length === 1) return exact[0] as RunRecord;
  const matches = wanted ? [...byId.values()].filter((r) => r.run_id.toLowerCase().startsWith(wanted)) : [];
  if (matches.length === 1) return matches[0] as RunRecord;
  if (matches.length > 1) {
    const ids = matches.map((r) => r.run_id).sort();
    const shown = ids.slice(0, 5).join(', ');
    throw OsirisError.of(
      'LOG002',
      `run id prefix '${idOrPrefix}' matches ${ids.length} runs: ${shown}${ids.length > 5 ? ', …' : ''}`,
      {},
      { hint: 'type more characters of the run id' },
    );
  }
  const nearest = nearestRunIds(idOrPrefix, byId.keys());
  throw OsirisError.of(
    'LOG001',
    `run '${idOrPrefix}' not found in the run index`,
    { file: runs },
    {
      hint: `nearest existing run ids: ${nearest.join(', ')} (see \`osiris logs list\`)`,
    },
  );
}

/** The last finished run, of one pipeline or overall; undefined when there is none. */
export function latestRun(project: ProjectConfig, pipeline?: string): RunRecord | undefined {
  const paths = indexPaths(project, pipeline);
  if (paths.latest !== undefined && existsSync(paths.latest)) {
    try {
      const value: unknown = JSON.parse(readFileSync(paths.latest, 'utf8'));
      if (isRunRecord(value)) return value;
    } catch {
      // fall back to the per-pipeline file
    }
  }
  const records = readRunRecords(paths.byPipeline ?? paths.runs);
  return records[records.length - 1];
}

/** Absolute run log folder of a record. */
export function runDirOf(project: ProjectConfig, record: Pick<RunRecord, 'run_dir'>): string {
  return isAbsolute(record.run_dir) ? record.run_dir : join(project.root, record.run_dir);
}

/**
 * The run a command is about: `runId` (or a unique prefix), else the latest run (of `pipeline` when given).
 * Throws LOG001/LOG002 from `findRun`, or LOG003 when nothing has been recorded.
 */
export function selectRun(project: ProjectConfig, runId: string | undefined, pipeline?: string): RunRecord {
  if (runId !== undefined) return findRun(project, runId);
  const record = latestRun(project, pipeline);
  if (record) return record;
  const known = listIndexedPipelines(project);
  throw OsirisError.of(
    'LOG003',
    pipeline ? `no runs recorded for pipeline '${pipeline}'` : 'no runs recorded yet',
    { file: indexPaths(project).runs },
    {
      hint:
        pipeline && known.length > 0
          ? `pipelines with runs: ${known.join(', ')}`
          : 'run a pipeline with `osiris run <pipeline.yaml>` first',
    },
  );
}
