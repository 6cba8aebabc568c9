import type { Command } from 'commander';

/** `osiris init` — not implemented yet. */
export function register(_program: Command): void {}
