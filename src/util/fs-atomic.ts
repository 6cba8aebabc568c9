/**
 * Atomic file writes: write a temp file in the same folder, fsync it, rename it over the target, fsync the
 * folder. Readers see the old file or the new one, never half of either.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A unique temp path beside `target` (same filesystem, so rename is atomic). Hidden, named after the target. */
export function tempPathBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  }
}

/** Moves a finished temp file into place atomically. */
export function commitTempFile(tempPath: string, target: string): void {
  renameSync(tempPath, target);
  fsyncDir(dirname(target));
}

export function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: {
    mkdir?: boolean;
    /**
     * false: still atomic (readers never see half a file) but not flushed to disk before returning — for
     * copies that can be lost in a power cut (a run's cfg copies: 10,000 of them cost 95 s with fsync).
     */
    durable?: boolean;
  } = {},
): void {
  if (options.mkdir ?? true) mkdirSync(dirname(target), { recursive: true });
  const durable = options.durable ?? true;
  const temp = tempPathBeside(target);
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (durable) commitTempFile(temp, target);
    else renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
