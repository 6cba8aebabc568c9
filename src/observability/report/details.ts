/**
 * What the report shows about each step beyond its counters: the compiled config (SQL first), the output
 * schema and preview the runner recorded (`preview/<step id>.json`), and links to the files a step wrote and
 * to the run folder's copies (cfg, manifest). Links are relative to the folder the report is written to, and
 * only made for files that exist.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { isJsonObject, type JsonObject, type JsonValue } from '../../yaml/json.js';

export interface ReportLink {
  label: string;
  /** Relative URL from the report's folder. */
  href: string;
}

export interface ReportPreview {
  source: 'table' | 'stream';
  columns: { name: string; type: string }[];
  columns_total: number;
  preview_columns: string[];
  rows: (string | null)[][];
  masked_columns: string[];
  truncated: boolean;
  file: ReportLink | null;
}

export interface ReportOutput {
  /** The file or table as the step reported it (redacted). */
  text: string;
  /** Set when it is a file that exists. */
  href: string | null;
}

export interface StepDetail {
  /** The step's SQL (`query` of its cfg), when it has one. */
  sql: string | null;
  /** The rest of the compiled cfg (meta keys `component`, `mode` left out). */
  config: JsonObject | null;
  cfg: ReportLink | null;
  preview: ReportPreview | null;
  outputs: ReportOutput[];
}

/** Keys of a cfg file that say what the step is, not how it is configured (shown elsewhere). */
const CFG_META_KEYS = new Set(['component', 'mode', 'query']);

/** A relative URL from `fromDir` to `target` (POSIX separators, each segment encoded). */
export function relativeHref(fromDir: string, target: string): string {
  const rel = relative(fromDir, target);
  if (isAbsolute(rel)) return `file://${rel.split(sep).map(encodeURIComponent).join('/')}`;
  return rel.split(sep).map(encodeURIComponent).join('/');
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A link to `path` when it is an existing file. */
export function fileLink(reportDir: string, path: string, label: string): ReportLink | null {
  return isFile(path) ? { label, href: relativeHref(reportDir, path) } : null;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

const strings = (v: JsonValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

function readPreview(runDir: string, stepId: string, reportDir: string): ReportPreview | null {
  const path = join(runDir, 'preview', `${stepId}.json`);
  const doc = readJson(path);
  if (!isJsonObject(doc) || !Array.isArray(doc.columns) || !Array.isArray(doc.rows)) return null;
  const columns = doc.columns.flatMap((c) =>
    isJsonObject(c) && typeof c.name === 'string' ? [{ name: c.name, type: String(c.type ?? '') }] : [],
  );
  const previewColumns = strings(doc.preview_columns);
  const rows = doc.rows.flatMap((r) =>
    Array.isArray(r)
      ? [r.map((v) => (v === null ? null : typeof v === 'string' ? v : JSON.stringify(v)))]
      : [],
  );
  return {
    source: doc.source === 'stream' ? 'stream' : 'table',
    columns,
    columns_total: typeof doc.columns_total === 'number' ? doc.columns_total : columns.length,
    preview_columns: previewColumns.length ? previewColumns : columns.map((c) => c.name),
    rows,
    masked_columns: strings(doc.masked_columns),
    truncated: doc.truncated === true,
    file: fileLink(reportDir, path, `preview/${stepId}.json`),
  };
}

/** The details of one step from the run folder; `outputs` as its step_complete event listed them. */
export function loadStepDetail(
  runDir: string,
  stepId: string,
  outputs: readonly string[],
  reportDir: string,
): StepDetail {
  const cfgPath = join(runDir, 'cfg', `${stepId}.json`);
  const cfg = readJson(cfgPath);
  let sql: string | null = null;
  let config: JsonObject | null = null;
  if (isJsonObject(cfg)) {
    sql = typeof cfg.query === 'string' ? cfg.query : null;
    config = {};
    for (const [k, v] of Object.entries(cfg)) if (!CFG_META_KEYS.has(k)) config[k] = v;
  }
  return {
    sql,
    config,
    cfg: fileLink(reportDir, cfgPath, `cfg/${stepId}.json`),
    preview: readPreview(runDir, stepId, reportDir),
    outputs: outputs.map((text) => ({
      text,
      href: isAbsolute(text) && isFile(text) ? relativeHref(reportDir, text) : null,
    })),
  };
}
