import type { Command } from 'commander';

/** `osiris components` — not implemented yet. */
export function register(_program: Command): void {}
