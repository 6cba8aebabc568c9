/**
 * Which process runs a run, recorded in the run folder (`process.json`) so a later process can prove the run
 * is dead before touching what it left: the host, the pid, and on Linux the boot id and the process start
 * time (clock ticks since boot), which together tell a reused pid from the original process.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { processAlive } from '../util/process-alive.js';
import { isJsonObject } from '../yaml/json.js';

export const RUN_PROCESS_FILE = 'process.json';

export interface RunProcess {
  pid: number;
  host: string;
  /** `/proc/sys/kernel/random/boot_id`: changes at every boot (Linux only). */
  boot_id?: string;
  /** Field 22 of `/proc/<pid>/stat` (Linux only). */
  start_ticks?: number;
}

/** `alive`: the recorded process still runs; `gone`: provably ended; `elsewhere`: another host, unknowable. */
export type Liveness = 'alive' | 'gone' | 'elsewhere';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
}

/** Start time of `pid` in clock ticks since boot, from `/proc/<pid>/stat`; undefined off Linux or when gone. */
function startTicks(pid: number | 'self'): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]); // field 22 overall
  return Number.isFinite(ticks) ? ticks : undefined;
}

export function currentRunProcess(): RunProcess {
  const me: RunProcess = { pid: process.pid, host: hostname() };
  const boot = bootId();
  const ticks = startTicks('self');
  if (boot !== undefined) me.boot_id = boot;
  if (ticks !== undefined) me.start_ticks = ticks;
  return me;
}

/** Whether the recorded process still runs. Never says `gone` unless that is certain on this host. */
export function processLiveness(recorded: RunProcess): Liveness {
  if (recorded.host !== hostname()) return 'elsewhere';
  const boot = bootId();
  if (recorded.boot_id !== undefined && boot !== undefined && recorded.boot_id !== boot) return 'gone';
  if (!processAlive(recorded.pid)) return 'gone';
  if (recorded.start_ticks === undefined) return 'alive';
  const ticks = startTicks(recorded.pid);
  // A live pid with another start time is a different process that reused the number.
  return ticks !== undefined && ticks !== recorded.start_ticks ? 'gone' : 'alive';
}

export function parseRunProcess(text: string | undefined): RunProcess | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (!isJsonObject(value) || typeof value.pid !== 'number' || typeof value.host !== 'string')
      return undefined;
    const out: RunProcess = { pid: value.pid, host: value.host };
    if (typeof value.boot_id === 'string') out.boot_id = value.boot_id;
    if (typeof value.start_ticks === 'number') out.start_ticks = value.start_ticks;
    return out;
  } catch {
    return undefined;
  }
}
