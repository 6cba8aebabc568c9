/**
 * Executes the guides in docs/guides/ as written (test/helpers/doc-runner.ts): the new-component guide's
 * worked example is copied into a fresh project, validated, listed as runnable and run, and the output it
 * shows must be the output the run produced.
 */
import { rmSync } from 'node:fs';
import { describe, it } from 'vitest';
import { runDocument } from '../helpers/doc-runner.js';

describe('docs/guides', () => {
  it('new-component.md works exactly as written', { timeout: 60_000 }, () => {
    rmSync(runDocument('docs/guides/new-component.md'), { recursive: true, force: true });
  });
});
