import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../cli.js';

/** A sandbox home as an Osiris template leaves it: the package's dependencies in ~/osiris/node_modules. */
export function osirisTemplate(home: string): void {
  mkdirSync(join(home, 'osiris'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(home, 'osiris', 'node_modules'));
}
