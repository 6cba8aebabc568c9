/** `osiris runs list`: the run index listing, the same command as `osiris logs list` (see run-list.ts). */
import type { Command } from 'commander';
import { defineRunList } from './run-list.js';

export { parseSince } from './run-list.js';

export function register(program: Command): void {
  const runs = program.command('runs').description('recorded runs from the run index (.osiris/index)');
  defineRunList(runs.command('list'));
  for (const cmd of runs.commands) cmd.exitOverride();
  runs.exitOverride();
}
