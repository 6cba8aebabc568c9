/**
 * How a user can run this same CLI again from their shell, for messages that print commands (`osiris init`'s
 * next steps): `osiris` when that name on PATH is this program, otherwise `node <this bin/osiris.js>` — a
 * command that works as printed even without a global install (e.g. from a clone via `npx osiris`).
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { shellWord } from '../project/scaffold.js';

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The first executable `name` on PATH, or undefined. */
function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

export interface SelfCommand {
  command: string;
  /** True when `osiris` on PATH is this program. */
  onPath: boolean;
  /** `npm install -g <this package's folder>`: puts this copy on PATH as `osiris`. */
  install: string;
}

export function selfCommand(
  script: string | undefined = process.argv[1],
  path: string = process.env.PATH ?? '',
): SelfCommand {
  const self = script ? real(script) : undefined;
  const install = `npm install -g ${self ? shellWord(dirname(dirname(self))) : 'osiris-etl'}`;
  const found = onPath('osiris', path);
  if (self && found && real(found) === self) return { command: 'osiris', onPath: true, install };
  return { command: self ? `node ${shellWord(self)}` : 'osiris', onPath: false, install };
}
