/**
 * Execution targets the parity and canary tests run besides `local` (issue 15). A target adds one entry:
 * its name for `--target` and the extra environment its runs need (e2b: the emulator's URLs and key).
 */
import { sharedE2bEnv } from './e2b-emulator/shared.js';

export const REMOTE_TARGETS: { name: string; env?: () => Record<string, string> }[] = [
  { name: 'process' },
  { name: 'e2b', env: sharedE2bEnv },
];
