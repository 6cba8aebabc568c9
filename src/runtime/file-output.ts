/**
 * What the file writers (CSV, Parquet, JSON) share: path resolution, the target folder, and the atomic
 * write. DuckDB's `COPY (SELECT …) TO '<temp beside target>'` streams the input table to disk (never
 * through JS memory); the temp file is fsynced and renamed over the target. On any failure the temp file
 * is removed and an existing target is left byte-identical.
 *
 * Append (CSV, JSON lines) stays atomic the same way: the new rows are copied to a part file, the existing
 * target is copied (a reflink where the filesystem supports it) to a temp file, the part is appended to it,
 * and the temp replaces the target. This costs a copy of the existing file per append; in exchange readers
 * never see a half-appended file and a failed append changes nothing. Concurrent appends to one file from
 * two runs are not serialised (last rename wins).
 *
 * Metrics: the writer reports rows and bytes in its StepResult; the runner turns those into the
 * rows_written / bytes_written metrics, so drivers do not call `ctx.metric` for them.
 */
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { closestMatch } from '../diagnostics/suggest.js';
import { commitTempFile, tempPathBeside } from '../util/fs-atomic.js';
import {
  type ColumnInfo,
  describeTable,
  quoteIdent,
  quoteLiteral,
  runTracked,
  tableRowCount,
} from './dataplane.js';
import {
  type StepContext,
  StepError,
  type StepInput,
  type StepResult,
  type StreamContext,
} from './driver.js';
import { messageOf } from './duckdb-errors.js';
import { StepConfig } from './step-config.js';
import { type TargetEncoding, transcodeFile, UnencodableCharacter } from './transcode.js';

/**
 * Resolves a path from a step config. Rule: relative paths resolve against `baseDir` when given (itself
 * resolved against the project root), else against the project root — the folder holding `osiris.yaml`,
 * or the working directory when there is none. Never against the OML file's folder.
 */
export function resolveStepPath(projectRoot: string, path: string, baseDir?: string): string {
  const base = baseDir === undefined ? resolve(projectRoot) : resolve(projectRoot, baseDir);
  return isAbsolute(path) ? resolve(path) : resolve(base, path);
}

/** A path for messages: relative to the project root when inside it, else absolute. */
export function displayPath(projectRoot: string, abs: string): string {
  const rel = relative(resolve(projectRoot), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** Maps a filesystem or DuckDB IO failure while writing to the execution taxonomy. */
export function writeErrorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = messageOf(error);
  if (
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS' ||
    /permission denied|read-only file system/i.test(text)
  )
    return 'write.permission_denied';
  if (code === 'ENOSPC' || /no space left/i.test(text)) return 'write.disk_full';
  if (code === 'ENOENT' || code === 'ENOTDIR' || /no such file or directory|not a directory/i.test(text))
    return 'write.path_not_found';
  return 'write.failed';
}

const WHY: Record<string, string> = {
  'write.permission_denied': 'permission denied',
  'write.disk_full': 'no space left on device',
  'write.path_not_found': 'folder does not exist or is not a folder',
  'write.failed': 'write failed',
};

/** The first line of DuckDB's message, or the OS error text. */
function shortCause(error: unknown): string {
  return messageOf(error).split('\n')[0]?.trim() ?? '';
}

/**
 * Makes sure the target's folder exists (creating it when `createDirs`) and is writable; the target itself
 * must not be a folder.
 */
export function prepareTargetFolder(
  stepId: string,
  target: string,
  shown: string,
  createDirs: boolean,
): void {
  const dir = dirname(target);
  const fail = (code: string, error: unknown, hint: string): never => {
    throw new StepError(
      code,
      `step '${stepId}': cannot write ${shown}: ${WHY[code]} (${shortCause(error)})`,
      hint,
      {
        cause: error,
        details: { path: target },
      },
    );
  };
  if (createDirs) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      fail(writeErrorCode(error), error, `check that ${dirname(shown) || '.'} can be created by this user`);
    }
  } else if (!existsSync(dir)) {
    throw new StepError(
      'write.path_not_found',
      `step '${stepId}': cannot write ${shown}: folder ${dir} does not exist`,
      'create the folder or set create_dirs: true',
      { details: { path: target } },
    );
  }
  if (!statSync(dir).isDirectory())
    fail('write.path_not_found', new Error(`${dir} is not a folder`), 'choose a path inside a folder');
  if (existsSync(target) && statSync(target).isDirectory())
    fail('write.failed', new Error(`${target} is a folder`), 'give a file name, not a folder');
}

export type WriteMode = 'overwrite' | 'append';

export interface FileWriterPlan {
  /** Options of DuckDB's COPY, e.g. `FORMAT parquet, COMPRESSION snappy`. */
  copyOptions: string;
  writeMode: WriteMode;
  /** How an append joins the existing file: CSV checks (and skips) the header line; JSON lines checks it is not an array. */
  appendAs?: { kind: 'csv'; header: boolean; newline: string } | { kind: 'jsonl' };
  /** SQL for one column in the select list (default: the quoted name), e.g. a cast. */
  selectColumn?: (column: ColumnInfo) => string;
  /** Extra COPY options that depend on the input's columns (e.g. FORCE_QUOTE on the text columns). */
  columnOptions?: (columns: readonly ColumnInfo[]) => string[];
  /** Re-encodes the written file (DuckDB writes UTF-8 only); never combined with an append. */
  encoding?: TargetEncoding;
}

/** The single upstream table a writer streams out. */
export function singleInput(ctx: StreamContext): StepInput {
  const [first, ...rest] = ctx.inputs;
  if (!first || rest.length > 0)
    throw new StepError(
      'config.invalid',
      `step '${ctx.stepId}' writes one upstream table but has ${ctx.inputs.length} inputs${
        ctx.inputs.length ? ` (${ctx.inputs.map((i) => i.stepId).join(', ')})` : ''
      }`,
      "give the writer exactly one step in 'needs'",
    );
  return first;
}

/** `SELECT <columns> FROM <input> [ORDER BY …]`, checking `columns` and `order_by` against the input's columns. */
export function selectFor(
  cfg: StepConfig,
  input: StepInput,
  available: ColumnInfo[],
  selectColumn: (c: ColumnInfo) => string = (c) => quoteIdent(c.name),
): string {
  const byName = new Map(available.map((c) => [c.name, c]));
  const names = available.map((c) => c.name);
  const lookup = (key: string, name: string): ColumnInfo => {
    const col = byName.get(name) ?? available.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (col) return col;
    const near = closestMatch(name, names);
    throw new StepError(
      'config.invalid',
      `step '${cfg.stepId}': ${key} names column '${name}', which '${input.stepId}' does not produce`,
      near ? `did you mean '${near}'? columns: ${names.join(', ')}` : `columns: ${names.join(', ')}`,
      { details: { key, column: name } },
    );
  };
  const wanted = cfg.stringList('columns');
  const cols = wanted ? wanted.map((n) => lookup('columns', n)) : available;
  const order = (cfg.stringList('order_by') ?? []).map((item) => {
    const m = /^(.*?)(?:\s+(asc|desc))?$/i.exec(item.trim()) as RegExpExecArray;
    const col = lookup('order_by', m[1] as string);
    return `${quoteIdent(col.name)}${m[2] ? ` ${(m[2] as string).toUpperCase()}` : ''}`;
  });
  return `SELECT ${cols.map(selectColumn).join(', ')} FROM ${input.table}${order.length ? ` ORDER BY ${order.join(', ')}` : ''}`;
}

/**
 * The whole writer step: validate, stream the input through COPY to a temp file, commit atomically.
 * Reads `path`, `create_dirs` (default true), `columns`, `order_by`, `allow_empty` from the config.
 */
export async function runFileWriter(ctx: StepContext, plan: FileWriterPlan): Promise<StepResult> {
  const cfg = StepConfig.of(ctx);
  const input = singleInput(ctx);
  const target = resolveStepPath(ctx.projectRoot, cfg.requiredString('path'));
  const shown = displayPath(ctx.projectRoot, target);
  const available = await describeInput(ctx, input);
  const select = selectFor(cfg, input, available, plan.selectColumn);
  prepareTargetFolder(ctx.stepId, target, shown, cfg.boolean('create_dirs', true));

  const existing = existsSync(target) ? statSync(target).size : -1;
  if (existing > 0 && !cfg.boolean('allow_empty', false)) {
    const rows = await tableRowCount(ctx.duck, input.table);
    if (rows === 0 && plan.writeMode === 'overwrite')
      throw new StepError(
        'write.empty_input',
        `step '${ctx.stepId}': input '${input.stepId}' is empty; refusing to replace ${shown}`,
        'set allow_empty: true to write an empty file over the existing one',
        { details: { path: target } },
      );
    if (rows === 0) {
      ctx.emit('write.skipped', { path: target, reason: 'empty input, nothing to append' });
      return { rowsIn: 0, rowsWritten: 0, bytesWritten: 0, outputs: [target] };
    }
  }

  const append = plan.writeMode === 'append' && existing > 0 ? plan.appendAs : undefined;
  const part = tempPathBeside(target);
  let temp: string | undefined;
  try {
    const copyOptions = [plan.copyOptions, ...(plan.columnOptions?.(available) ?? [])].join(', ');
    const result = await runTracked(ctx.duck, `COPY (${select}) TO ${quoteLiteral(part)} (${copyOptions})`, {
      signal: ctx.signal,
      onProgress: (rows) => ctx.progress(rows),
    });
    const rows = Number(result.rowsChanged);
    let bytes: number;
    if (append) {
      temp = tempPathBeside(target);
      bytes = appendInto(ctx.stepId, shown, target, part, temp, append);
      fsyncFile(temp);
      commitTempFile(temp, target);
      temp = undefined;
      rmSync(part, { force: true });
    } else {
      if (plan.encoding) await transcodeFile(part, plan.encoding);
      fsyncFile(part);
      bytes = statSync(part).size;
      commitTempFile(part, target);
    }
    ctx.progress(rows);
    return { rowsIn: rows, rowsWritten: rows, bytesWritten: bytes, outputs: [target] };
  } catch (error) {
    rmSync(part, { force: true });
    if (temp) rmSync(temp, { force: true });
    if (error instanceof StepError) throw error;
    if (error instanceof UnencodableCharacter)
      throw new StepError(
        'write.failed',
        `step '${ctx.stepId}': cannot write ${shown}: ${error.message}`,
        `choose encoding: utf-8 (or utf-16), or clean the data upstream`,
        { cause: error, details: { path: target, line: error.line } },
      );
    const code = writeErrorCode(error);
    throw new StepError(
      code,
      `step '${ctx.stepId}': cannot write ${shown}: ${code === 'write.failed' ? shortCause(error) : `${WHY[code]} (${shortCause(error)})`}`,
      code === 'write.failed' ? undefined : `check the folder ${dirname(shown) || '.'}`,
      { cause: error, details: { path: target } },
    );
  }
}

/** The input table's columns; a missing table fails with `runtime.dependency_failed` naming the upstream step. */
export async function describeInput(ctx: StepContext, input: StepInput): Promise<ColumnInfo[]> {
  try {
    return await describeTable(ctx.duck, input.table);
  } catch (error) {
    throw new StepError(
      'runtime.dependency_failed',
      `step '${ctx.stepId}': upstream step '${input.stepId}' produced no table (${input.table} does not exist)`,
      `check that step '${input.stepId}' is an extractor or processor and ran successfully`,
      { cause: error, details: { upstream_step: input.stepId } },
    );
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const CHUNK = 1 << 20;

/** Bytes of `path` up to and including the first `\n` (or the whole file when it has none). */
function firstLine(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const parts: Buffer[] = [];
    const buf = Buffer.alloc(64 * 1024);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      const nl = buf.subarray(0, n).indexOf(0x0a);
      if (nl >= 0) {
        parts.push(Buffer.from(buf.subarray(0, nl + 1)));
        break;
      }
      parts.push(Buffer.from(buf.subarray(0, n)));
      pos += n;
    }
    return Buffer.concat(parts);
  } finally {
    closeSync(fd);
  }
}

function lastByte(path: string, size: number): number | undefined {
  if (size === 0) return undefined;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0];
  } finally {
    closeSync(fd);
  }
}

function firstNonSpace(path: string): string | undefined {
  const head = firstLine(path).toString('utf8').trimStart();
  return head[0];
}

/** Copies `target` to `temp`, then appends `part` (minus its header line for CSV). Returns bytes appended. */
function appendInto(
  stepId: string,
  shown: string,
  target: string,
  part: string,
  temp: string,
  how: NonNullable<FileWriterPlan['appendAs']>,
): number {
  let skip = 0;
  let joiner = '\n';
  if (how.kind === 'csv') {
    joiner = how.newline;
    if (how.header) {
      const newHeader = firstLine(part);
      const oldHeader = firstLine(target);
      const clean = (b: Buffer) => b.toString('utf8').replace(/\r?\n$/, '');
      if (clean(newHeader) !== clean(oldHeader))
        throw new StepError(
          'write.schema_mismatch',
          `step '${stepId}': cannot append to ${shown}: its header '${clean(oldHeader)}' differs from the step's columns '${clean(newHeader)}'`,
          "write to a new file, use write_mode: overwrite, or select matching 'columns'",
          { details: { path: target } },
        );
      skip = newHeader.length;
    }
  } else if (firstNonSpace(target) === '[') {
    throw new StepError(
      'write.schema_mismatch',
      `step '${stepId}': cannot append JSON lines to ${shown}: it holds a JSON array`,
      'write to a new file or use write_mode: overwrite',
      { details: { path: target } },
    );
  }
  const size = statSync(target).size;
  copyFileSync(target, temp, constants.COPYFILE_FICLONE);
  const out = openSync(temp, 'a');
  let appended = 0;
  try {
    if (lastByte(target, size) !== 0x0a) appended += writeSync(out, joiner);
    const src = openSync(part, 'r');
    try {
      const buf = Buffer.alloc(CHUNK);
      let pos = skip;
      for (;;) {
        const n = readSync(src, buf, 0, CHUNK, pos);
        if (n === 0) break;
        let off = 0;
        while (off < n) off += writeSync(out, buf, off, n - off);
        pos += n;
        appended += n;
      }
    } finally {
      closeSync(src);
    }
  } finally {
    closeSync(out);
  }
  return appended;
}
