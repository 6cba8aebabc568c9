import type { Command } from 'commander';

/** `osiris run` — not implemented yet. */
export function register(_program: Command): void {}
