/**
 * Retention of run logs (`osiris logs gc`): which run folders to delete, by age and by count per pipeline,
 * and deleting them together with their run index records.
 *
 * Policy (`osiris.yaml`, overridable on the command line):
 *
 * ```yaml
 * retention:
 *   run_logs_days: 7             # delete runs that finished more than N days ago (0 or null: no age limit)
 *   keep_runs_per_pipeline: 50   # keep the newest N runs of each pipeline and profile (0 or null: no limit)
 * ```
 *
 * A run is deleted when either rule selects it. Only run folders named by a run index record are ever
 * touched, and only when the folder lies inside the project's run_logs folder and is named after the run
 * id; anything else is reported as refused. Folders are deleted first, then the index is rewritten
 * atomically under the index lock (re-read inside the lock, so runs that finished meanwhile are kept).
 * A crash in between leaves records whose folders are gone; the next gc removes them. A deleted run's AI
 * Operation Package (`<aiop>/[<profile>/]<pipeline>/<run_id>/`) goes with it.
 */
import { lstatSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ExitCode, OsirisError } from '../diagnostics/diagnostic.js';
import type { ProjectConfig } from '../project/config.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { isJsonObject } from '../yaml/json.js';
import { aiopPackageDir } from './aiop/export.js';
import {
  indexPaths,
  type LockOptions,
  pipelineFileSlug,
  type RunRecord,
  readRunRecords,
  runDirOf,
  withIndexLock,
} from './run-index.js';

export const DEFAULT_RUN_LOGS_DAYS = 7;
export const DEFAULT_KEEP_RUNS_PER_PIPELINE = 50;

export interface RetentionPolicy {
  /** Age limit in days; null = no age limit. */
  days: number | null;
  /** Newest runs kept per pipeline and profile; null = no count limit. */
  keep: number | null;
}

export interface PolicyOverrides {
  days?: number;
  keep?: number;
}

function policyNumber(
  project: ProjectConfig,
  key: 'run_logs_days' | 'keep_runs_per_pipeline',
  fallback: number,
  integer: boolean,
): number | null {
  const section = project.raw.retention;
  if (section === undefined || section === null) return fallback;
  if (!isJsonObject(section)) {
    throw OsirisError.of(
      'LOG031',
      'retention in osiris.yaml must be a mapping',
      { file: project.configFile, path: 'retention' },
      { hint: 'e.g. retention: {run_logs_days: 7, keep_runs_per_pipeline: 50}' },
    );
  }
  const value = section[key];
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw OsirisError.of(
      'LOG031',
      `retention.${key} must be a non-negative ${integer ? 'integer' : 'number'} or null, got ${JSON.stringify(value)}`,
      { file: project.configFile, path: `retention.${key}` },
      { hint: '0 or null switches the rule off' },
    );
  }
  return value === 0 ? null : value;
}

/** The effective policy: command-line overrides, else osiris.yaml `retention`, else the defaults. */
export function retentionPolicy(project: ProjectConfig, overrides: PolicyOverrides = {}): RetentionPolicy {
  const days =
    overrides.days !== undefined
      ? overrides.days === 0
        ? null
        : overrides.days
      : policyNumber(project, 'run_logs_days', DEFAULT_RUN_LOGS_DAYS, false);
  const keep =
    overrides.keep !== undefined
      ? overrides.keep === 0
        ? null
        : overrides.keep
      : policyNumber(project, 'keep_runs_per_pipeline', DEFAULT_KEEP_RUNS_PER_PIPELINE, true);
  return { days, keep };
}

export type RetentionReason = 'age' | 'count';

export interface RetentionCandidate {
  run_id: string;
  pipeline: string;
  profile: string | null;
  finished_at: string;
  /** As recorded in the index. */
  run_dir: string;
  reasons: RetentionReason[];
  /** Whether the folder still exists (a record without a folder is only removed from the index). */
  exists: boolean;
  bytes: number;
}

export interface RefusedRun {
  run_id: string;
  run_dir: string;
  reason: string;
}

export interface RetentionPlan {
  policy: RetentionPolicy;
  now: string;
  runs_total: number;
  runs_kept: number;
  delete: RetentionCandidate[];
  refused: RefusedRun[];
}

/** Total size of the files under `path` (symlinks count as themselves, never followed). */
export function folderBytes(path: string): number {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  let total = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(path);
  } catch {
    return 0;
  }
  for (const entry of entries) total += folderBytes(join(path, entry));
  return total;
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Why a record's folder must not be deleted, or undefined when it may be. */
function refusal(project: ProjectConfig, record: RunRecord): string | undefined {
  const dir = resolve(runDirOf(project, record));
  if (!inside(resolve(project.paths.runLogs), dir)) return 'run folder is outside the run_logs folder';
  if (basename(dir) !== record.run_id) return 'run folder is not named after the run id';
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) return 'run folder is a symbolic link';
    if (!st.isDirectory()) return 'run folder is not a directory';
  } catch {
    // missing: nothing to delete, the record can go
  }
  return undefined;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Every indexed run, newest first, one record per run id (the last written wins). */
function indexedRuns(project: ProjectConfig): RunRecord[] {
  const records = readRunRecords(indexPaths(project).runs);
  const byId = new Map<string, RunRecord>();
  for (const r of records) {
    byId.delete(r.run_id);
    byId.set(r.run_id, r);
  }
  return [...byId.values()].reverse();
}

/** What `logs gc` would delete under `policy` at `now`. Reads only; never deletes. */
export function planRetention(
  project: ProjectConfig,
  policy: RetentionPolicy,
  now: Date = new Date(),
): RetentionPlan {
  const runs = indexedRuns(project);
  const seenPerGroup = new Map<string, number>();
  const cutoff = policy.days === null ? undefined : now.getTime() - policy.days * 86_400_000;
  const remove: RetentionCandidate[] = [];
  const refused: RefusedRun[] = [];
  for (const record of runs) {
    const group = `${pipelineFileSlug(record.pipeline_slug)}\0${record.profile ?? ''}`;
    const position = seenPerGroup.get(group) ?? 0;
    seenPerGroup.set(group, position + 1);
    const reasons: RetentionReason[] = [];
    const finished = new Date(record.finished_at || record.started_at).getTime();
    if (cutoff !== undefined && Number.isFinite(finished) && finished < cutoff) reasons.push('age');
    if (policy.keep !== null && position >= policy.keep) reasons.push('count');
    if (reasons.length === 0) continue;
    const why = refusal(project, record);
    if (why) {
      refused.push({ run_id: record.run_id, run_dir: record.run_dir, reason: why });
      continue;
    }
    const dir = runDirOf(project, record);
    const present = exists(dir);
    const aiop = aiopDirOf(project, record);
    remove.push({
      run_id: record.run_id,
      pipeline: record.pipeline_slug,
      profile: record.profile,
      finished_at: record.finished_at,
      run_dir: record.run_dir,
      reasons,
      exists: present,
      bytes: (present ? folderBytes(dir) : 0) + (aiop ? folderBytes(aiop) : 0),
    });
  }
  return {
    policy,
    now: now.toISOString(),
    runs_total: runs.length,
    runs_kept: runs.length - remove.length,
    delete: remove,
    refused,
  };
}

export interface RetentionResult {
  /** Run ids whose folder was deleted or was already gone, and whose records left the index. */
  deleted: string[];
  freed_bytes: number;
  errors: { run_id: string; message: string }[];
  /** Index records removed (all index files together count once per run). */
  index_records_removed: number;
}

/** The run's AIOP package folder when it exists and is where it should be (inside aiop/, named by run id). */
function aiopDirOf(project: ProjectConfig, record: RunRecord): string | undefined {
  let dir: string;
  try {
    dir = resolve(aiopPackageDir(project, record));
  } catch {
    return undefined; // a record with a path-like segment: not ours to touch
  }
  if (!inside(resolve(project.paths.aiop), dir) || basename(dir) !== record.run_id) return undefined;
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && !st.isSymbolicLink() ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Removes now-empty folders between `dir` and `rootDir` (pipeline and profile folders). */
function pruneEmptyParents(rootDir: string, dir: string): void {
  const root = resolve(rootDir);
  let current = dirname(resolve(dir));
  while (inside(root, current)) {
    try {
      rmdirSync(current); // fails unless empty
    } catch {
      return;
    }
    current = dirname(current);
  }
}

function recordLines(records: readonly RunRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/** Deletes the planned run folders and rewrites the run index without their records. */
export function applyRetention(
  project: ProjectConfig,
  plan: RetentionPlan,
  lock: LockOptions = {},
): RetentionResult {
  const removed = new Set<string>();
  const errors: RetentionResult['errors'] = [];
  let freed = 0;
  const byId = new Map(indexedRuns(project).map((r) => [r.run_id, r]));
  for (const candidate of plan.delete) {
    const record = byId.get(candidate.run_id);
    if (!record) continue; // removed by a concurrent gc
    const why = refusal(project, record); // re-check: the folder may have changed since planning
    if (why) {
      errors.push({ run_id: candidate.run_id, message: why });
      continue;
    }
    const dir = runDirOf(project, record);
    try {
      if (exists(dir)) {
        const size = folderBytes(dir);
        rmSync(dir, { recursive: true, force: false });
        freed += size;
        pruneEmptyParents(project.paths.runLogs, dir);
      }
      const aiop = aiopDirOf(project, record);
      if (aiop) {
        freed += folderBytes(aiop);
        rmSync(aiop, { recursive: true, force: false });
        pruneEmptyParents(project.paths.aiop, aiop);
      }
      removed.add(candidate.run_id);
    } catch (error) {
      errors.push({
        run_id: candidate.run_id,
        message: `could not delete ${candidate.run_dir}: ${(error as Error).message}`,
      });
    }
  }
  let recordsRemoved = 0;
  if (removed.size > 0) {
    withIndexLock(
      project,
      () => {
        const paths = indexPaths(project);
        const all = readRunRecords(paths.runs);
        const keep = all.filter((r) => !removed.has(r.run_id));
        recordsRemoved = all.length - keep.length;
        writeFileAtomic(paths.runs, recordLines(keep));
        const slugs = new Set(
          all.filter((r) => removed.has(r.run_id)).map((r) => pipelineFileSlug(r.pipeline_slug)),
        );
        for (const slug of [...slugs].sort()) {
          const p = indexPaths(project, slug);
          const byPipeline = p.byPipeline as string;
          const latest = p.latest as string;
          const remaining = readRunRecords(byPipeline).filter((r) => !removed.has(r.run_id));
          if (remaining.length > 0) writeFileAtomic(byPipeline, recordLines(remaining));
          else rmSync(byPipeline, { force: true });
          const latestRecord = remaining[remaining.length - 1];
          if (latestRecord) writeFileAtomic(latest, `${JSON.stringify(latestRecord, null, 2)}\n`);
          else {
            try {
              unlinkSync(latest);
            } catch {
              // no pointer
            }
          }
        }
      },
      lock,
    );
  }
  return {
    deleted: [...removed].sort(),
    freed_bytes: freed,
    errors,
    index_records_removed: recordsRemoved,
  };
}

/** `LOG030`: a bad --days / --keep value. */
export function badRetentionFlag(flag: string, value: string): OsirisError {
  return OsirisError.of(
    'LOG030',
    `${flag} must be a non-negative ${flag === '--keep' ? 'integer' : 'number'}, got '${value}'`,
    {},
    {
      hint: `e.g. ${flag} ${flag === '--keep' ? '20' : '14'} (0 switches the rule off)`,
      exitCode: ExitCode.usage,
    },
  );
}
