/**
 * Reading a text input the user names (an OML file, a manifest, a connections file) without trusting it:
 * only a regular file, and at most a size limit. `osiris run /dev/zero` would otherwise grow without end and
 * a FIFO would block forever. The file is opened non-blocking and checked with fstat on that same descriptor,
 * so what is checked is what is read.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Environment variable that raises (or lowers) the limit, in MiB. */
export const MAX_FILE_ENV = 'OSIRIS_MAX_FILE_MB';
export const DEFAULT_MAX_FILE_MB = 10;

export type ReadProblem =
  | { kind: 'missing' }
  | { kind: 'denied' }
  | { kind: 'directory' }
  | { kind: 'not-regular'; what: string }
  | { kind: 'too-large'; limitBytes: number; sizeBytes?: number }
  | { kind: 'other'; reason: string };

export type BoundedRead = { ok: true; text: string } | { ok: false; problem: ReadProblem };

/** The limit in bytes from `OSIRIS_MAX_FILE_MB` (a positive number), else the default. */
export function maxFileBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MAX_FILE_ENV];
  const mb = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  return Math.floor((Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_MAX_FILE_MB) * 1024 * 1024);
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Reads `path` as UTF-8 (byte-order mark removed) when it is a regular file of at most `limitBytes`. */
export function readBoundedText(path: string, limitBytes: number): BoundedRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, problem: problemOf(error) };
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) return { ok: false, problem: { kind: 'directory' } };
    if (!stats.isFile()) return { ok: false, problem: { kind: 'not-regular', what: kindOf(stats) } };
    if (stats.size > limitBytes)
      return { ok: false, problem: { kind: 'too-large', limitBytes, sizeBytes: stats.size } };
    // The size may change under us (or be reported as 0, as /proc does): read until end of file, never
    // more than one byte past the limit, whatever fstat said.
    let buffer = Buffer.allocUnsafe(Math.min(limitBytes, Math.max(stats.size, 65_536)) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(Math.min(limitBytes + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > limitBytes) return { ok: false, problem: { kind: 'too-large', limitBytes } };
    }
    let text = buffer.subarray(0, length).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, text };
  } catch (error) {
    return { ok: false, problem: problemOf(error) };
  } finally {
    closeSync(fd);
  }
}

function problemOf(error: unknown): ReadProblem {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
  if (code === 'EACCES' || code === 'EPERM') return { kind: 'denied' };
  if (code === 'EISDIR') return { kind: 'directory' };
  return { kind: 'other', reason: code ?? (error instanceof Error ? error.message : String(error)) };
}

/** "is 10 MiB" phrasing shared by every reader's message. */
export function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** Why and how to fix, in words every caller can put into its diagnostic. */
export function describeProblem(problem: ReadProblem): { why: string; hint: string | undefined } {
  switch (problem.kind) {
    case 'missing':
      return {
        why: 'does not exist',
        hint: 'check the path (relative paths start at the current directory)',
      };
    case 'denied':
      return { why: 'cannot be read (permission denied)', hint: 'check the file permissions' };
    case 'directory':
      return { why: 'is a directory, not a file', hint: 'pass the path of a .yaml file' };
    case 'not-regular':
      return {
        why: `is ${problem.what}, not a regular file`,
        hint: 'save the content to a file and pass that file',
      };
    case 'too-large': {
      const size = problem.sizeBytes;
      const suggested = Math.ceil(Math.max(size ?? 0, problem.limitBytes * 2) / (1024 * 1024));
      return {
        why: `is ${size !== undefined ? `${formatMiB(size)}, ` : ''}larger than the ${formatMiB(problem.limitBytes)} limit for input files`,
        hint: `raise the limit with the environment variable ${MAX_FILE_ENV} (in MiB), e.g. ${MAX_FILE_ENV}=${suggested}`,
      };
    }
    case 'other':
      return { why: `cannot be read (${problem.reason})`, hint: undefined };
  }
}
