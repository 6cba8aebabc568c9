/**
 * What the file writers (CSV, Parquet, JSON) share: path resolution, the target folder, and the atomic
 * write. DuckDB's `COPY (SELECT …) TO '<temp beside target>'` streams the input table to disk (never
 * through JS memory); the temp file is fsynced and renamed over the target. On any failure the temp file
 * is removed and an existing target is left byte-identical.
 *
 * Append (CSV, JSON lines) stays atomic the same way: the new rows are copied to a part file, the existing
 * target is copied (a reflink where the filesystem supports it) to a temp file, the part is appended to it,
 * and the temp replaces the target. This costs a copy of the existing file per append; in exchange readers
 * never see a half-appended file and a failed append changes nothing.
 *
 * Two runs writing one file take turns: from reading the existing file to the rename, a writer holds the
 * file's inter-process lock (src/util/file-lock.ts); the other waits up to `runtime.lock_timeout`. Without
 * it two appends both copied the same old file and the second rename dropped the first run's rows.
 * A symlinked target is written through (temp beside the real file); a read-only target is refused.
 *
 * Metrics: the writer reports rows and bytes in its StepResult; the runner turns those into the
 * rows_written / bytes_written metrics, so drivers do not call `ctx.metric` for them.
 */
import {
  accessSync,
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { appendFile, chmod, copyFile, open } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { closestMatch } from '../diagnostics/suggest.js';
import { DEFAULT_LOCK_TIMEOUT_S, LOCK_TIMEOUT_HINT } from '../project/config.js';
import {
  describeHolder,
  type FileLock,
  FileLockTimeoutError,
  lockFile,
  lockPaths,
} from '../util/file-lock.js';
import { commitTempFile, tempPathBeside } from '../util/fs-atomic.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import { type ColumnInfo, describeTable, quoteIdent, quoteLiteral, runTracked } from './dataplane.js';
import {
  type StepContext,
  StepError,
  type StepInput,
  type StepResult,
  type StreamContext,
  stepCancelled,
} from './driver.js';
import { messageOf } from './duckdb-errors.js';
import { CommitPoint, withRollback } from './retry/commit.js';
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

/**
 * The file a source step's config names: its own `base_dir` first, else its connection's, else the project
 * root (the CSV extractor's rule; its driver also checks the connection's family).
 */
export function resolveSourceFile(
  projectRoot: string,
  path: string,
  config: JsonObject,
  connection: { fields: Record<string, JsonValue> } | undefined,
): string {
  const base = config.base_dir ?? connection?.fields.base_dir;
  return resolveStepPath(projectRoot, path, typeof base === 'string' ? base : undefined);
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
  /**
   * DuckDB's table function reading a file this writer wrote (`read_parquet('…')`): lets `primary_key` merge
   * the new rows into the existing file, replacing the rows with the same key (an incremental lookback).
   */
  readBack?: (path: string) => string;
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

/** A temp path beside `target`, recorded as the run's before it exists (a killed run's leftover is removable). */
function claimedTempBeside(ctx: StreamContext, target: string): string {
  const path = tempPathBeside(target);
  ctx.claim({ kind: 'file', path });
  return path;
}

/**
 * Writes the rows into `part` (a temp file beside the target) in the plan's format: `select` is the
 * writer's SELECT over its input, `copyOptions` the COPY options. Returns the rows written.
 */
export type ProducePart = (part: string, select: string, copyOptions: string) => Promise<number>;

/**
 * The whole writer step: validate, stream the input through COPY to a temp file beside the real target,
 * then — holding the target's lock, so two runs writing one file take turns — append or replace atomically.
 * Reads `path`, `create_dirs` (default true), `columns`, `order_by`, `allow_empty` from the config.
 */
export async function runFileWriter(ctx: StepContext, plan: FileWriterPlan): Promise<StepResult> {
  const input = singleInput(ctx);
  const available = await describeInput(ctx, input);
  return writeFileAtomically(ctx, plan, input, available, async (part, select, copyOptions) => {
    const result = await runTracked(ctx.duck, `COPY (${select}) TO ${quoteLiteral(part)} (${copyOptions})`, {
      signal: ctx.signal,
      onProgress: (rows) => ctx.progress(rows),
    });
    return Number(result.rowsChanged);
  });
}

/**
 * What every file writer does around producing its rows (`produce`, from a DuckDB table or a row stream):
 * `input` names the upstream step and the relation the SELECT reads, `available` its columns.
 */
export async function writeFileAtomically(
  ctx: StreamContext,
  plan: FileWriterPlan,
  input: StepInput,
  available: ColumnInfo[],
  produce: ProducePart,
): Promise<StepResult> {
  const cfg = StepConfig.of(ctx);
  const target = resolveStepPath(ctx.projectRoot, cfg.requiredString('path'));
  const shown = displayPath(ctx.projectRoot, target);
  const select = selectFor(cfg, input, available, plan.selectColumn);
  prepareTargetFolder(ctx.stepId, target, shown, cfg.boolean('create_dirs', true));
  // A symlinked target is written through: the temp file goes beside the real file, the link stays.
  const real = followLinks(target);
  refuseReadOnly(ctx.stepId, real, shown);

  const part = claimedTempBeside(ctx, real);
  let temp: string | undefined;
  let lock: FileLock | undefined;
  // Until the rename the target is untouched: a failure before it may be retried (docs/adr/0026).
  const commit = new CommitPoint();
  try {
    const copyOptions = [plan.copyOptions, ...(plan.columnOptions?.(available) ?? [])].join(', ');
    const rows = await produce(part, select, copyOptions);
    lock = await lockTarget(ctx, real, shown);
    // Everything below reads and replaces the target under the lock.
    const before = existsSync(real) ? statSync(real) : undefined;
    if (before && before.size > 0 && rows === 0 && !cfg.boolean('allow_empty', false)) {
      if (plan.writeMode === 'overwrite')
        throw new StepError(
          'write.empty_input',
          `step '${ctx.stepId}': input '${input.stepId}' is empty; refusing to replace ${shown}`,
          'set allow_empty: true to write an empty file over the existing one',
          { details: { path: target } },
        );
      ctx.emit('write.skipped', { path: target, reason: 'empty input, nothing to append' });
      return { rowsIn: 0, rowsWritten: 0, bytesWritten: 0, outputs: [target] };
    }
    const keys = cfg.stringList('primary_key');
    const merge = keys?.length && before && before.size > 0 ? plan.readBack : undefined;
    const append = plan.writeMode === 'append' && before && before.size > 0 ? plan.appendAs : undefined;
    let bytes: number;
    let done: string;
    if (merge && keys) {
      temp = claimedTempBeside(ctx, real);
      await mergeByKey(ctx, {
        old: real,
        part,
        into: temp,
        keys,
        read: merge,
        copyOptions: [plan.copyOptions, ...(plan.columnOptions?.(available) ?? [])].join(', '),
      });
      bytes = statSync(temp).size;
      done = temp;
    } else if (append) {
      temp = claimedTempBeside(ctx, real);
      bytes = await appendInto(ctx.stepId, shown, real, part, temp, append);
      done = temp;
    } else {
      if (plan.encoding) await transcodeFile(part, plan.encoding);
      bytes = statSync(part).size;
      done = part;
    }
    // The replacement keeps the file's permissions (DuckDB creates files with the default mode).
    if (before) await chmod(done, before.mode & 0o7777);
    await fsyncFile(done);
    lock.assertHeld();
    commit.reached();
    commitTempFile(done, real);
    // The cursor state of incremental reads upstream, once the output is in place (docs/adr/0024).
    ctx.incremental?.commitLocal(ctx.stepId);
    temp = undefined;
    ctx.progress(rows);
    return { rowsIn: rows, rowsWritten: rows, bytesWritten: bytes, outputs: [target] };
  } catch (error) {
    if (error instanceof StepError) throw withRollback(error, commit);
    if (ctx.signal.aborted) throw stepCancelled(error);
    throw withRollback(fileWriteError(ctx.stepId, real, shown, error), commit, error);
  } finally {
    rmSync(part, { force: true });
    if (temp) rmSync(temp, { force: true });
    await lock?.release();
  }
}

/**
 * `primary_key` on a file writer: the new file is the existing rows whose key the new rows do not have, then
 * the new rows — so re-read rows (an incremental lookback, a changed row) replace their old copy instead of
 * appearing twice. Reads both files back with the writer's own reader, so their columns compare alike.
 */
async function mergeByKey(
  ctx: StreamContext,
  files: {
    old: string;
    part: string;
    into: string;
    keys: string[];
    read: (path: string) => string;
    copyOptions: string;
  },
): Promise<void> {
  if (!ctx.openDuck)
    throw new StepError('config.invalid', `step '${ctx.stepId}': primary_key needs the run's data plane`);
  const duck = await ctx.openDuck();
  try {
    const same = files.keys
      .map((k) => `n.${quoteIdent(k)} IS NOT DISTINCT FROM o.${quoteIdent(k)}`)
      .join(' AND ');
    await duck.run(
      `COPY (SELECT o.* FROM ${files.read(files.old)} AS o WHERE NOT EXISTS (SELECT 1 FROM ${files.read(files.part)} AS n WHERE ${same}) UNION ALL BY NAME SELECT * FROM ${files.read(files.part)}) TO ${quoteLiteral(files.into)} (${files.copyOptions})`,
    );
  } catch (error) {
    throw new StepError(
      'incremental.merge_failed',
      `step '${ctx.stepId}': could not merge the new rows into the existing file by primary_key (${files.keys.join(', ')}): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      'check that the existing file has the same columns (including the primary_key columns), or write a new file',
      { cause: error },
    );
  } finally {
    duck.closeSync();
  }
}

/**
 * A failure while writing `target` (the real file), in the execution taxonomy; a lock that stayed busy is
 * `write.lock_timeout`.
 */
function fileWriteError(stepId: string, target: string, shown: string, error: unknown): StepError {
  if (error instanceof UnencodableCharacter)
    return new StepError(
      'write.failed',
      `step '${stepId}': cannot write ${shown}: ${error.message}`,
      'choose encoding: utf-8 (or utf-16), or clean the data upstream',
      { cause: error, details: { path: target, line: error.line } },
    );
  if (error instanceof FileLockTimeoutError)
    return new StepError(
      'write.lock_timeout',
      `step '${stepId}': ${shown} is being written by another run; gave up after ${Math.round(error.waitedMs / 1000)} s (${describeHolder(error.holder)})`,
      LOCK_TIMEOUT_HINT,
      { cause: error, details: { path: target, lock: lockPaths(target).dir } },
    );
  const code = writeErrorCode(error);
  return new StepError(
    code,
    `step '${stepId}': cannot write ${shown}: ${code === 'write.failed' ? shortCause(error) : `${WHY[code]} (${shortCause(error)})`}`,
    code === 'write.failed' ? undefined : `check the folder ${dirname(shown) || '.'}`,
    { cause: error, details: { path: target } },
  );
}

/** Takes the target's lock, telling the run's events when it has to wait for another run. */
function lockTarget(ctx: StreamContext, real: string, shown: string): Promise<FileLock> {
  const timeoutMs = ctx.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_S * 1000;
  return lockFile(real, {
    timeoutMs,
    purpose: `step '${ctx.stepId}'`,
    signal: ctx.signal,
    onWait: (holder) =>
      ctx.emit('write.waiting', {
        path: real,
        reason: `${shown} is being written by another run (${describeHolder(holder)})`,
        timeout_ms: timeoutMs,
      }),
  });
}

/**
 * Where writing `path` really lands: symlinks followed (also a link whose target does not exist yet), so the
 * temp file is made beside the real file and renamed over it, and the link is kept.
 */
export function followLinks(path: string, depth = 0): string {
  try {
    return realpathSync(path);
  } catch {
    // Missing: a dangling link points at the file to create; otherwise the folder may be a link.
  }
  let link: string | undefined;
  try {
    link = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    link = undefined;
  }
  if (link !== undefined && depth < 32) return followLinks(resolve(dirname(path), link), depth + 1);
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

/**
 * Refuses to replace a file its owner made read-only. Renaming over a file needs only the folder's write
 * permission, so without this check a 0444 file would silently come back writable; root passes every
 * access check, hence the explicit look at the mode bits.
 */
function refuseReadOnly(stepId: string, real: string, shown: string): void {
  let mode: number;
  try {
    mode = statSync(real).mode;
  } catch {
    return; // a new file
  }
  let denied: string | undefined;
  if ((mode & 0o222) === 0)
    denied = `the file is read-only (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`;
  else if (!canWrite(real)) denied = 'this user may not write it';
  if (denied)
    throw new StepError(
      'write.permission_denied',
      `step '${stepId}': refusing to replace ${shown}: ${denied}`,
      `make it writable (chmod u+w ${shown}) if it should be replaced, or write to another path`,
      { details: { path: real } },
    );
}

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
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

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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

/**
 * Copies `target` to `temp` (a reflink where the filesystem can), then appends `part` (minus its header line
 * for CSV). Returns the bytes appended. Asynchronous, so the held lock keeps being refreshed meanwhile.
 */
async function appendInto(
  stepId: string,
  shown: string,
  target: string,
  part: string,
  temp: string,
  how: NonNullable<FileWriterPlan['appendAs']>,
): Promise<number> {
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
  await copyFile(target, temp, constants.COPYFILE_FICLONE);
  const lead = lastByte(target, size) !== 0x0a ? Buffer.from(joiner, 'utf8') : Buffer.alloc(0);
  if (lead.length) await appendFile(temp, lead);
  await pipeline(
    createReadStream(part, { start: skip, highWaterMark: CHUNK }),
    createWriteStream(temp, { flags: 'a' }),
  );
  return lead.length + Math.max(0, statSync(part).size - skip);
}
