/**
 * An inter-process lock on one output file, so two runs writing the same file take turns instead of racing
 * (two appends that both copy the old file and rename their copy over it would lose one run's rows).
 *
 * The lock is proper-lockfile's: a folder `.<name>.lock` beside the file, created with mkdir (atomic) and
 * touched every few seconds while held. A folder nobody touched for `staleMs` belongs to a process that died
 * (SIGKILL, power loss) and is taken over, so a crash never blocks the file for good; a normal exit, SIGINT
 * and SIGTERM remove it. Inside it `holder.json` says who holds it, for the message of a run that gave up
 * waiting; proper-lockfile removes the folder with `rmdir`, so the file system it gets removes that first.
 */

import * as fs from 'node:fs';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Lockfile from 'proper-lockfile';
import { processAlive } from './process-alive.js';

/** Who holds a lock, as its holder recorded it. */
export interface LockHolder {
  pid: number;
  host: string;
  /** What the holder is doing, e.g. `step 'out'`. */
  purpose: string;
  since: string;
}

export interface FileLockOptions {
  /** How long to wait for another holder before giving up (ms). */
  timeoutMs: number;
  /** What this process is doing, recorded for others (e.g. `step 'out'`). */
  purpose: string;
  signal?: AbortSignal;
  /** Called once when the lock is busy and the wait starts. */
  onWait?: (holder: LockHolder | undefined) => void;
  /** A lock folder untouched for this long is stale (default 20 s; at least 2 s). */
  staleMs?: number;
}

export interface FileLock {
  /** Throws when the lock was lost while held (its folder was removed or taken over). */
  assertHeld(): void;
  release(): Promise<void>;
}

/** The wait ran out; `holder` is who held the lock then, when known. */
export class FileLockTimeoutError extends Error {
  constructor(
    readonly file: string,
    readonly holder: LockHolder | undefined,
    readonly waitedMs: number,
  ) {
    super(`${file} stayed locked for ${Math.round(waitedMs / 1000)} s (${describeHolder(holder)})`);
    this.name = 'FileLockTimeoutError';
  }
}

export const DEFAULT_STALE_MS = 20_000;
const POLL_MS = 200;

export function lockPaths(file: string): { dir: string; holder: string } {
  const dir = join(dirname(file), `.${basename(file)}.lock`);
  return { dir, holder: join(dir, HOLDER) };
}

const HOLDER = 'holder.json';

/**
 * proper-lockfile and its 13 modules (graceful-fs, signal-exit, …), required by the first lock: most modules
 * that import this one (every file step's) load in runs that never lock a file, e.g. table → table copies.
 */
let lockfileModule: typeof Lockfile | undefined;
function properLockfile(): typeof Lockfile {
  lockfileModule ??= createRequire(import.meta.url)('proper-lockfile') as typeof Lockfile;
  return lockfileModule;
}

/**
 * node:fs for proper-lockfile, whose `rmdir` of a lock folder (release, exit, taking over a stale lock) first
 * removes the holder record inside it.
 */
const lockFs = {
  ...fs,
  rmdir(path: string, callback: (error: NodeJS.ErrnoException | null) => void) {
    fs.rm(join(path, HOLDER), { force: true }, () => fs.rmdir(path, callback));
  },
  rmdirSync(path: string) {
    fs.rmSync(join(path, HOLDER), { force: true });
    fs.rmdirSync(path);
  },
};

/** `pid 123 on host h, step 'out', since …`, or what is known of it. */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'holder unknown';
  const alive = holder.host !== hostname() || processAlive(holder.pid) ? '' : ', no longer running';
  return `held by pid ${holder.pid} on ${holder.host}${alive}, ${holder.purpose}, since ${holder.since}`;
}

/** The holder record beside the lock, if readable. */
export function readHolder(file: string): LockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(lockPaths(file).holder, 'utf8')) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return undefined;
    return {
      pid: value.pid,
      host: value.host,
      purpose: String(value.purpose ?? ''),
      since: String(value.since ?? ''),
    };
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock on `file` (which need not exist), waiting up to `timeoutMs` for another holder. Throws
 * FileLockTimeoutError when the wait runs out, the signal's reason when cancelled, and the file system's
 * error when the folder cannot take a lock (e.g. it is read-only).
 */
export async function lockFile(file: string, options: FileLockOptions): Promise<FileLock> {
  const paths = lockPaths(file);
  const staleMs = Math.max(options.staleMs ?? DEFAULT_STALE_MS, 2000);
  const started = Date.now();
  let compromised: Error | undefined;
  let waiting = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const release = await properLockfile().lock(file, {
        realpath: false,
        lockfilePath: paths.dir,
        fs: lockFs,
        stale: staleMs,
        retries: 0,
        onCompromised: (error) => {
          compromised = error;
        },
      });
      writeHolder(paths.holder, options.purpose);
      return {
        assertHeld() {
          if (compromised)
            throw new Error(
              `lost the lock on ${file}: this process did not refresh it for ${Math.round(staleMs / 1000)} s (stalled?), so another run may have taken it over (${compromised.message})`,
            );
        },
        async release() {
          await release().catch(() => undefined); // already gone (compromised): nothing to release
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
    if (!waiting) {
      waiting = true;
      options.onWait?.(readHolder(file));
    }
    const left = started + options.timeoutMs - Date.now();
    if (left <= 0) throw new FileLockTimeoutError(file, readHolder(file), Date.now() - started);
    await sleep(Math.min(POLL_MS, left), undefined, { signal: options.signal });
  }
}

function writeHolder(path: string, purpose: string): void {
  const holder: LockHolder = { pid: process.pid, host: hostname(), purpose, since: new Date().toISOString() };
  try {
    writeFileSync(path, `${JSON.stringify(holder)}\n`);
  } catch {
    // Only the message of a waiting run would miss it.
  }
}
