/**
 * Reads what an AIOP is built from, all of it from the run folder and the run index (never from live
 * runner state, so `osiris logs aiop` rebuilds exactly what the automatic export wrote):
 *
 * - `status.json`, `events.jsonl` (with line numbers: they become evidence ids), `metrics.jsonl`
 * - `manifest.yaml` and `cfg/<step>.json` (the redacted copies the runner made)
 * - the files of the run folder (`events.jsonl`, `metrics.jsonl`, `status.json`, `manifest.yaml`, `cfg/**`,
 *   `artifacts/**`) with sizes and SHA-256 content hashes
 * - the previous successful run of the same pipeline and profile, for the delta
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ProjectConfig } from '../../project/config.js';
import { isJsonObject, type JsonObject } from '../../yaml/json.js';
import { indexPaths, type RunRecord, readRunRecords, runDirOf } from '../run-index.js';
import type { RunStatusDoc } from '../session.js';

export interface NumberedEvent {
  /** 1-based line number in events.jsonl. */
  seq: number;
  event: JsonObject;
}

export interface RunFile {
  /** Relative to the run folder, POSIX separators. */
  path: string;
  size_bytes: number;
  sha256: string;
}

export interface PreviousRun {
  record: RunRecord;
  /** Error and warning codes seen in that run (from its events, else its index record). */
  codes: string[];
}

export interface AiopInputs {
  record: RunRecord;
  /** Absolute run folder. */
  runDir: string;
  projectRoot: string;
  status: RunStatusDoc | null;
  events: NumberedEvent[];
  /** metrics.jsonl lines with their line numbers. */
  metrics: NumberedEvent[];
  manifest: JsonObject | null;
  /** Step id → cfg object (meta keys included). */
  cfgs: Record<string, JsonObject>;
  files: RunFile[];
  /** Which of the inputs existed (relative to the run folder), sorted. */
  sources: string[];
  previous: PreviousRun | undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Lines of a JSONL file with their 1-based line numbers; unparsable lines (torn tail) are skipped. */
export function readNumberedJsonLines(text: string): NumberedEvent[] {
  const out: NumberedEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isJsonObject(value)) out.push({ seq: i + 1, event: value });
    } catch {
      // torn or foreign line
    }
  }
  return out;
}

const TOP_FILES = ['events.jsonl', 'manifest.yaml', 'metrics.jsonl', 'status.json'];
const TREE_DIRS = ['artifacts', 'cfg'];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function walk(dir: string, rel: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of entries) {
    if (name.startsWith('.') && name.endsWith('.tmp')) continue; // an atomic write in progress
    const abs = join(dir, name);
    const relPath = rel ? `${rel}/${name}` : name;
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(abs);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(abs, relPath, out);
    else if (st.isFile()) out.push(relPath);
  }
}

/** Run-folder files that belong to the evidence, sorted by path (scratch data and later reports excluded). */
export function listRunFiles(runDir: string): string[] {
  const out: string[] = TOP_FILES.filter((f) => isFile(join(runDir, f)));
  for (const dir of TREE_DIRS) walk(join(runDir, dir), dir, out);
  return out.sort();
}

/** SHA-256 of a file, streamed (artifacts may be large). */
export function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    createReadStream(path)
      .on('data', (chunk: Buffer | string) => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += buf.length;
        hash.update(buf);
      })
      .on('error', reject)
      .on('end', () => resolvePromise({ sha256: `sha256:${hash.digest('hex')}`, size }));
  });
}

/** Codes of step failures, run failures and warnings in a list of events. */
export function eventCodes(events: readonly JsonObject[]): string[] {
  const codes = new Set<string>();
  for (const e of events) {
    const name = typeof e.event === 'string' ? e.event : '';
    const code =
      typeof e.error_code === 'string' ? e.error_code : typeof e.code === 'string' ? e.code : undefined;
    if (code && (name === 'step_failed' || name === 'run_failed' || name === 'warning')) codes.add(code);
  }
  return [...codes].sort();
}

/**
 * The newest successful run of the same pipeline and profile that started before this one (so re-exporting
 * an old run always compares with the same predecessor).
 */
export function findPreviousSuccessfulRun(
  project: ProjectConfig,
  record: RunRecord,
): PreviousRun | undefined {
  const paths = indexPaths(project, record.pipeline_slug);
  const candidates = readRunRecords(paths.byPipeline ?? paths.runs).filter(
    (r) =>
      r.run_id !== record.run_id &&
      r.pipeline_slug === record.pipeline_slug &&
      (r.profile ?? null) === (record.profile ?? null) &&
      r.status === 'succeeded' &&
      r.started_at < record.started_at,
  );
  let best: RunRecord | undefined;
  for (const r of candidates) {
    if (
      !best ||
      r.started_at > best.started_at ||
      (r.started_at === best.started_at && r.run_id > best.run_id)
    ) {
      best = r;
    }
  }
  if (!best) return undefined;
  const text = readText(join(runDirOf(project, best), 'events.jsonl'));
  const codes = text
    ? eventCodes(readNumberedJsonLines(text).map((e) => e.event))
    : best.error_code
      ? [best.error_code]
      : [];
  return { record: best, codes };
}

export interface ReadInputsOptions {
  /** Look up the previous successful run (default true). */
  previous?: boolean;
}

export async function readAiopInputs(
  project: ProjectConfig,
  record: RunRecord,
  options: ReadInputsOptions = {},
): Promise<AiopInputs> {
  const runDir = runDirOf(project, record);
  const sources: string[] = [];
  const statusText = readText(join(runDir, 'status.json'));
  let status: RunStatusDoc | null = null;
  if (statusText !== undefined) {
    try {
      const v: unknown = JSON.parse(statusText);
      if (isJsonObject(v)) {
        status = v as unknown as RunStatusDoc;
        sources.push('status.json');
      }
    } catch {
      // unreadable status: the index record stands in
    }
  }
  const eventsText = readText(join(runDir, 'events.jsonl'));
  if (eventsText !== undefined) sources.push('events.jsonl');
  const events = eventsText ? readNumberedJsonLines(eventsText) : [];
  const metricsText = readText(join(runDir, 'metrics.jsonl'));
  if (metricsText !== undefined) sources.push('metrics.jsonl');
  const metrics = metricsText ? readNumberedJsonLines(metricsText) : [];
  let manifest: JsonObject | null = null;
  const manifestText = readText(join(runDir, 'manifest.yaml'));
  if (manifestText !== undefined) {
    try {
      const v: unknown = parseYaml(manifestText);
      if (isJsonObject(v)) {
        manifest = v;
        sources.push('manifest.yaml');
      }
    } catch {
      // a broken copy: the semantic layer falls back to status.json
    }
  }
  const cfgs: Record<string, JsonObject> = {};
  let cfgNames: string[] = [];
  try {
    cfgNames = readdirSync(join(runDir, 'cfg'))
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch {
    cfgNames = [];
  }
  for (const name of cfgNames) {
    const text = readText(join(runDir, 'cfg', name));
    if (text === undefined) continue;
    try {
      const v: unknown = JSON.parse(text);
      if (isJsonObject(v)) {
        cfgs[name.slice(0, -'.json'.length)] = v;
        sources.push(`cfg/${name}`);
      }
    } catch {
      // skipped
    }
  }
  const files: RunFile[] = [];
  for (const path of listRunFiles(runDir)) {
    try {
      const { sha256, size } = await hashFile(join(runDir, path));
      files.push({ path, size_bytes: size, sha256 });
    } catch {
      // vanished while we looked
    }
  }
  const previous = options.previous === false ? undefined : findPreviousSuccessfulRun(project, record);
  return {
    record,
    runDir,
    projectRoot: project.root,
    status,
    events,
    metrics,
    manifest,
    cfgs,
    files,
    sources: sources.sort(),
    previous,
  };
}
