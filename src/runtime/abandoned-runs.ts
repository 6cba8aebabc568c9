/**
 * Runs whose process died (SIGKILL, out of memory, a machine stop) stay `running` in status.json, are
 * missing from the run index and leave their scratch folder, temp files beside outputs and MySQL staging
 * tables behind. The next run of the same pipeline and `osiris logs gc` sweep them:
 *
 * 1. A run folder is a candidate when status.json says `running` and its `process.json` names a process
 *    that is provably gone: same host, and the pid is not alive or now belongs to a process that started
 *    at another time (or the machine rebooted). A live run, or one from another host, is never touched.
 * 2. It is marked `abandoned`: status.json gets the steps as last logged (steps.jsonl), the run index gets
 *    a record (once, even when two sweeps race), events.jsonl gets `run_abandoned`.
 * 3. Its leftovers go (run-leftovers.ts): the scratch folder, and exactly what claims.jsonl recorded. What
 *    cannot be removed now (database down, connection no longer configured) stays claimed with the reason;
 *    later sweeps retry it, and the run folder keeps process.json until nothing is left.
 */
import {
  appendFileSync,
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { CLAIMS_FILE } from '../observability/run-claims.js';
import { appendRunRecordOnce, type RunRecord } from '../observability/run-index.js';
import {
  parseRunProcess,
  processLiveness,
  RUN_PROCESS_FILE,
  type RunProcess,
} from '../observability/run-process.js';
import type { RunErrorInfo, RunStatusDoc, StepStatus } from '../observability/session.js';
import { runLogDir } from '../observability/session.js';
import { foldStepLog, readStepLog } from '../observability/step-log.js';
import type { ProjectConfig } from '../project/config.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { isJsonObject } from '../yaml/json.js';
import {
  hasLeftovers,
  isDir,
  isFileAt,
  type Leftover,
  type ReconnectOptions,
  removeLeftovers,
} from './run-leftovers.js';

export interface SweepOptions extends ReconnectOptions {
  /** Only this pipeline's runs (the next run of it); every run folder otherwise (`logs gc`). */
  pipeline?: { slug: string; profile: string | null };
  /** Report only, change nothing (`logs gc` without --apply). */
  dryRun?: boolean;
  /** Who found the run, for the record: `run <id>`, `logs gc`. */
  detectedBy: string;
  now?: () => Date;
}

export interface SweptRun {
  run_id: string;
  pipeline: string;
  profile: string | null;
  /** Absolute run folder. */
  run_dir: string;
  pid: number;
  host: string;
  /** The run's status after the sweep: `abandoned`, or the finished status of a run whose cleanup failed. */
  status: string;
  /** True when this sweep marked the run abandoned (or, dry, would); false when it only removed leftovers. */
  marked: boolean;
  removed: { scratch_bytes: number; files: string[]; tables: string[] };
  /** What is still there, and why. */
  left: Leftover[];
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir)
      .sort()
      .map((name) => join(dir, name))
      .filter(isDir);
  } catch {
    return [];
  }
}

/** Run folders that never finished (they still hold process.json) under `dir`, at most `depth` levels down: `[profile/]pipeline/run`. */
function runFolders(dir: string, depth: number): string[] {
  const out: string[] = [];
  for (const sub of subdirs(dir)) {
    if (isFileAt(join(sub, RUN_PROCESS_FILE))) out.push(sub);
    else if (depth > 1) out.push(...runFolders(sub, depth - 1));
  }
  return out;
}

function candidateFolders(options: SweepOptions): string[] {
  const { project, pipeline } = options;
  if (pipeline) return runFolders(dirname(runLogDir(project, pipeline.slug, '_', pipeline.profile)), 1);
  return runFolders(project.paths.runLogs, 3);
}

/** Latest write to the run's logs: when the run was last known to be alive. */
function lastActivity(runDir: string, fallback: Date): Date {
  let latest = 0;
  for (const name of ['events.jsonl', 'metrics.jsonl', 'steps.jsonl', 'status.json']) {
    try {
      latest = Math.max(latest, statSync(join(runDir, name)).mtimeMs);
    } catch {
      // not written
    }
  }
  return latest > 0 ? new Date(latest) : fallback;
}

function abandonedError(owner: RunProcess, detectedBy: string): RunErrorInfo {
  return {
    code: 'runtime.abandoned',
    message: `the run's process (pid ${owner.pid} on ${owner.host}) ended without finishing the run (killed, or the machine stopped); found by ${detectedBy}`,
    hint: 'run the pipeline again; what the run left (scratch folder, temp files, staging tables) is removed, see the leftovers_cleanup event',
  };
}

/** status.json of an abandoned run: the steps as last logged, unfinished ones failed or skipped. */
function abandonedStatus(
  doc: RunStatusDoc,
  runDir: string,
  error: RunErrorInfo,
  finished: Date,
): RunStatusDoc {
  const folded = foldStepLog(doc, readStepLog(runDir));
  const steps: StepStatus[] = folded.steps.map((s) =>
    s.status === 'running'
      ? { ...s, status: 'failed', error: { ...error, step_id: s.id } }
      : s.status === 'pending'
        ? { ...s, status: 'skipped' }
        : s,
  );
  const started = new Date(doc.started_at).getTime();
  return {
    ...folded,
    status: 'abandoned',
    finished_at: finished.toISOString(),
    duration_ms: Number.isFinite(started) ? Math.max(0, finished.getTime() - started) : null,
    steps,
    error,
  };
}

/** As the run index stores it: relative to the project root with POSIX separators, absolute outside it. */
function relativeRunDir(project: ProjectConfig, runDir: string): string {
  const rel = relative(project.root, runDir);
  if (rel.startsWith('..') || isAbsolute(rel)) return runDir;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

/** Marks the run abandoned in the run index, status.json and events.jsonl; false when another sweep indexed it. */
function markAbandoned(options: SweepOptions, runDir: string, doc: RunStatusDoc, owner: RunProcess): boolean {
  const now = (options.now ?? (() => new Date()))();
  const error = abandonedError(owner, options.detectedBy);
  const finished = lastActivity(runDir, now);
  const status = abandonedStatus(doc, runDir, error, finished);
  const record: RunRecord = {
    run_id: doc.run_id,
    pipeline_slug: doc.pipeline,
    profile: doc.profile,
    manifest_hash: doc.manifest_hash,
    manifest_short: doc.manifest_short,
    status: 'abandoned',
    started_at: doc.started_at,
    finished_at: status.finished_at as string,
    duration_ms: status.duration_ms ?? 0,
    rows_in: doc.rows_in,
    rows_out: doc.rows_out,
    run_dir: relativeRunDir(options.project, runDir),
    error_code: error.code,
    error_message: error.message,
  };
  const marked = appendRunRecordOnce(options.project, record);
  // Written even when another sweep indexed the run first: one that stopped in between left it `running`.
  writeFileAtomic(join(runDir, 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
  if (!marked) return false;
  appendEvent(runDir, doc.run_id, now, 'run_abandoned', {
    pid: owner.pid,
    host: owner.host,
    last_activity: finished.toISOString(),
    detected_by: options.detectedBy,
  });
  return true;
}

/** Appends one event line (the run's process is gone: nobody else writes this file). */
function appendEvent(
  runDir: string,
  runId: string,
  at: Date,
  event: string,
  fields: Record<string, unknown>,
): void {
  const path = join(runDir, 'events.jsonl');
  const line = `${JSON.stringify({ ts: at.toISOString(), run_id: runId, event, ...fields })}\n`;
  appendFileSync(path, endsTorn(path) ? `\n${line}` : line);
}

/** Whether the file's last byte is not a newline (the process died mid-line). */
function endsTorn(path: string): boolean {
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    if (size === 0) return false;
    fd = openSync(path, 'r');
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Finds runs whose process is gone, marks them abandoned and removes their leftovers (see the header). */
/** What a sweep does with one run folder that still holds process.json. */
function sweepAction(
  doc: RunStatusDoc,
  owner: RunProcess,
  runDir: string,
): 'mark' | 'clean' | 'done' | 'skip' {
  if (doc.status === 'running') return processLiveness(owner) === 'gone' ? 'mark' : 'skip';
  // Finished (or abandoned earlier) with claims: the run's own cleanup may have failed (the database server
  // stopped mid-write). Its claimed names exist only while a run works on them, so removing them is safe.
  // A finished run's scratch is never touched (--keep-data keeps it on purpose).
  if (doc.status === 'abandoned') return hasLeftovers(runDir) ? 'clean' : 'done';
  return isFileAt(join(runDir, CLAIMS_FILE)) ? 'clean' : 'done';
}

/** Finds runs whose process is gone, marks them abandoned and removes their leftovers (see the header). */
export async function sweepAbandonedRuns(options: SweepOptions): Promise<SweptRun[]> {
  const swept: SweptRun[] = [];
  for (const runDir of candidateFolders(options)) {
    const doc = readJson(join(runDir, 'status.json')) as RunStatusDoc | undefined;
    const owner = parseRunProcess(readFileSafe(join(runDir, RUN_PROCESS_FILE)));
    if (!doc || !owner || typeof doc.run_id !== 'string') continue;
    const action = sweepAction(doc, owner, runDir);
    if (action === 'skip') continue;
    if (action === 'done') {
      if (!options.dryRun) rmSync(join(runDir, RUN_PROCESS_FILE), { force: true });
      continue;
    }
    const base = {
      run_id: doc.run_id,
      pipeline: doc.pipeline,
      profile: doc.profile ?? null,
      run_dir: runDir,
      pid: owner.pid,
      host: owner.host,
    };
    const scratch = doc.status === 'running' || doc.status === 'abandoned';
    if (options.dryRun) {
      const { removed, left } = await removeLeftovers(options, runDir, owner.pid, { scratch, dryRun: true });
      const status = action === 'mark' ? 'abandoned' : doc.status;
      if (action === 'mark' || somethingToSay(removed, left))
        swept.push({ ...base, status, marked: action === 'mark', removed, left });
      continue;
    }
    // Removal is idempotent, so a sweep racing another one on the same run does no harm.
    const marked = action === 'mark' && markAbandoned(options, runDir, doc, owner);
    const { removed, left, kept } = await removeLeftovers(options, runDir, owner.pid, { scratch });
    // Nothing left to retry: the folder stops being a candidate for later sweeps.
    if (kept.length === 0 && !(scratch && isDir(join(runDir, 'scratch'))))
      rmSync(join(runDir, RUN_PROCESS_FILE), { force: true });
    const status = action === 'mark' ? 'abandoned' : doc.status;
    if (action !== 'mark' && !somethingToSay(removed, left)) continue;
    appendEvent(runDir, doc.run_id, (options.now ?? (() => new Date()))(), 'leftovers_cleanup', {
      scratch_bytes: removed.scratch_bytes,
      files_removed: removed.files,
      tables_dropped: removed.tables,
      ...(left.length ? { left } : {}),
      detected_by: options.detectedBy,
    });
    swept.push({ ...base, status, marked, removed, left });
  }
  return swept;
}

function somethingToSay(removed: SweptRun['removed'], left: Leftover[]): boolean {
  return (
    removed.scratch_bytes > 0 || removed.files.length > 0 || removed.tables.length > 0 || left.length > 0
  );
}
