import type { Command } from 'commander';

/** `osiris connections` — not implemented yet. */
export function register(_program: Command): void {}
