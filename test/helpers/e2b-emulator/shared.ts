/**
 * One E2B emulator per test process, started when this module is first imported, for tests that run every
 * target from a table (test/helpers/targets.ts). Its sandboxes come from the `base` template laid out as an
 * Osiris template: `~/osiris/node_modules` is the repository's (docs/reference/targets.md#e2b). Its sandbox
 * processes and folders go when the test process exits.
 */
import { rmSync } from 'node:fs';
import { startE2bEmulator } from './index.js';
import { osirisTemplate } from './template.js';

export const sharedE2bEmulator = await startE2bEmulator({ templates: { base: osirisTemplate } });

process.once('exit', () => {
  for (const sandbox of sharedE2bEmulator.sandboxes) {
    sandbox.process.kill('SIGKILL');
    rmSync(sandbox.folder, { recursive: true, force: true });
  }
});

export const sharedE2bEnv = (): Record<string, string> => sharedE2bEmulator.env();
