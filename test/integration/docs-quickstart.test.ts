/**
 * Executes docs/quickstart.md: files shown with `file=<path>` are written, bash blocks are run in order
 * (`npx osiris` → the built CLI), and blocks marked `check` must equal the file the pipeline produced.
 */
import { rmSync } from 'node:fs';
import { describe, it } from 'vitest';
import { runDocument } from '../helpers/doc-runner.js';

describe('docs/quickstart.md', () => {
  it('works exactly as written', () => {
    rmSync(runDocument('docs/quickstart.md'), { recursive: true, force: true });
  });
});
