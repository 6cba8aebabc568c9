import type { Command } from 'commander';

/** `osiris logs` — not implemented yet. */
export function register(_program: Command): void {}
