import type { Command } from 'commander';

/** `osiris validate` — not implemented yet. */
export function register(_program: Command): void {}
