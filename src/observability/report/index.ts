/**
 * HTML run reports: `<run dir>/report.html` for one run and an index page of recent runs
 * (`<run_logs>/index.html` by default) linking to each run's report. See `data.ts` (loading) and
 * `render.ts` (pure rendering).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, OsirisError } from '../../diagnostics/diagnostic.js';
import type { ProjectConfig } from '../../project/config.js';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import type { Redactor } from '../redact.js';
import { type ListRunsOptions, listRuns, type RunRecord, runDirOf } from '../run-index.js';
import { type IndexEntry, type LoadReportOptions, loadRunReportData, type RunReportData } from './data.js';
import { relativeHref } from './details.js';
import { renderRunIndex, renderRunReport } from './render.js';

export * from './data.js';
export { renderRunIndex, renderRunReport } from './render.js';

export const REPORT_FILE = 'report.html';
export const INDEX_FILE = 'index.html';

export interface WriteReportOptions extends LoadReportOptions {
  /** Output file (resolved against `cwd`); default `<run dir>/report.html`. */
  out?: string;
  cwd?: string;
  redactor?: Redactor;
}

export interface WrittenReport {
  run_id: string;
  path: string;
  bytes: number;
  status: RunReportData['run']['status'];
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function defaultReportPath(project: ProjectConfig, record: RunRecord): string {
  return join(runDirOf(project, record), REPORT_FILE);
}

/** Renders one run's report and writes it atomically. */
export function writeRunReport(
  project: ProjectConfig,
  record: RunRecord,
  options: WriteReportOptions = {},
): WrittenReport {
  const runDir = runDirOf(project, record);
  if (options.out === undefined && !isDir(runDir)) {
    throw OsirisError.of(
      'LOG020',
      `run folder of ${record.run_id} not found: ${record.run_dir}`,
      { file: record.run_dir },
      {
        hint: 'it was probably removed by `osiris logs gc`; pass --out <file> to render what the run index still knows',
        exitCode: ExitCode.runtime,
      },
    );
  }
  const path =
    options.out !== undefined
      ? resolve(options.cwd ?? process.cwd(), options.out)
      : join(runDir, REPORT_FILE);
  const data = loadRunReportData(project, record, { ...options, reportDir: dirname(path) });
  const html = renderRunReport(data, options.redactor ? { redactor: options.redactor } : {});
  writeFileAtomic(path, html);
  return { run_id: record.run_id, path, bytes: Buffer.byteLength(html), status: data.run.status };
}

export interface WriteIndexOptions extends LoadReportOptions, Omit<ListRunsOptions, 'limit'> {
  /** Output file (resolved against `cwd`); default `<run_logs>/index.html`. */
  out?: string;
  cwd?: string;
  redactor?: Redactor;
  /** Newest runs to include (default 50; 0 = all). */
  limit?: number;
}

export interface WrittenIndex {
  path: string;
  bytes: number;
  runs: number;
  reports: { run_id: string; path: string | null }[];
}

/** Writes (refreshes) the report of each listed run that still has its folder, then the index page. */
export function writeRunIndexReport(project: ProjectConfig, options: WriteIndexOptions = {}): WrittenIndex {
  const limit = options.limit ?? 50;
  const records = listRuns(project, {
    ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
    ...(options.status !== undefined ? { status: options.status } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(limit > 0 ? { limit } : {}),
  });
  // The same run id can appear twice in a damaged index: keep the newest record.
  const seen = new Set<string>();
  const unique = records.filter((r) => !seen.has(r.run_id) && seen.add(r.run_id));
  const path =
    options.out !== undefined
      ? resolve(options.cwd ?? process.cwd(), options.out)
      : join(project.paths.runLogs, INDEX_FILE);
  const reports: WrittenIndex['reports'] = [];
  const entries: IndexEntry[] = unique.map((record) => {
    const runDir = runDirOf(project, record);
    if (!isDir(runDir) || !existsSync(join(runDir, 'events.jsonl'))) {
      reports.push({ run_id: record.run_id, path: null });
      return { record, href: null };
    }
    const written = writeRunReport(project, record, {
      ...(options.redactor ? { redactor: options.redactor } : {}),
      ...(options.generator ? { generator: options.generator } : {}),
    });
    reports.push({ run_id: record.run_id, path: written.path });
    return { record, href: relativeHref(dirname(path), written.path) };
  });
  const title = options.pipeline ? `Recent runs of ${options.pipeline}` : 'Recent runs';
  const html = renderRunIndex(
    { title, entries, generator: options.generator ?? 'osiris' },
    options.redactor ? { redactor: options.redactor } : {},
  );
  writeFileAtomic(path, html);
  return { path, bytes: Buffer.byteLength(html), runs: entries.length, reports };
}
