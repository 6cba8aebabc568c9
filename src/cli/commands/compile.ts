import type { Command } from 'commander';

/** `osiris compile` — not implemented yet. */
export function register(_program: Command): void {}
