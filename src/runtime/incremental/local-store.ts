/**
 * The project's local state store, `.osiris/state/<pipeline>/<step>--<writer>.json`, one file per state,
 * each replaced atomically. It holds the authoritative cursor of file targets, and a copy (written after the
 * target committed) of each database target's state, which `osiris state list` shows and `show`/`reset`
 * follow to the target.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import type { StateKey, StateRecord, StateStore } from './types.js';

export const STATE_DIR = join('.osiris', 'state');

/** One file of the store. */
export interface LocalState {
  state: StateRecord;
  store: StateStore;
}

/** A file-name-safe form of an id, kept readable (`[A-Za-z0-9._-]`, everything else `_` plus a short code). */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, (c) => `_${c.codePointAt(0)?.toString(16)}`);
}

export function localStatePath(
  root: string,
  key: Pick<StateKey, 'pipeline_id' | 'step_id' | 'target_step'>,
): string {
  return join(root, STATE_DIR, safe(key.pipeline_id), `${safe(key.step_id)}--${safe(key.target_step)}.json`);
}

function parse(path: string): LocalState | undefined {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Partial<LocalState>;
    return doc.state && doc.store ? (doc as LocalState) : undefined;
  } catch {
    return undefined;
  }
}

/** The stored state of one key (undefined when none, or the file is unreadable). */
export function readLocalState(root: string, key: StateKey): LocalState | undefined {
  const found = parse(localStatePath(root, key));
  return found && found.state.source === key.source ? found : undefined;
}

export function writeLocalState(root: string, entry: LocalState): void {
  writeFileAtomic(localStatePath(root, entry.state), `${JSON.stringify(entry, null, 2)}\n`);
}

export function removeLocalState(
  root: string,
  key: Pick<StateKey, 'pipeline_id' | 'step_id' | 'target_step'>,
): void {
  rmSync(localStatePath(root, key), { force: true });
}

/** Every state in the store, sorted by pipeline, step and writer. */
export function listLocalStates(root: string): LocalState[] {
  const dir = join(root, STATE_DIR);
  if (!existsSync(dir)) return [];
  const out: LocalState[] = [];
  for (const pipeline of readdirSync(dir, { withFileTypes: true })) {
    if (!pipeline.isDirectory()) continue;
    for (const file of readdirSync(join(dir, pipeline.name)))
      if (file.endsWith('.json')) {
        const entry = parse(join(dir, pipeline.name, file));
        if (entry) out.push(entry);
      }
  }
  const key = (e: LocalState) => `${e.state.pipeline_id}\0${e.state.step_id}\0${e.state.target_step}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
