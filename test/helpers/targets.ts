/**
 * Execution targets the parity and canary tests run besides `local` (issue 15). A target adds one entry:
 * its name for `--target` and the extra environment its runs need (e2b: the emulator's URLs and key).
 */
import { sharedE2bEmulator, sharedE2bEnv } from './e2b-emulator/shared.js';

export interface RemoteTarget {
  name: string;
  env?: () => Record<string, string>;
  /** Keep the worker's folders under `dir` from now on (the canary searches them), when the test decides it. */
  workDir?: (dir: string) => void;
}

export const REMOTE_TARGETS: RemoteTarget[] = [
  { name: 'process' },
  {
    name: 'e2b',
    env: sharedE2bEnv,
    workDir: (dir) => {
      sharedE2bEmulator.folderRoot = dir;
    },
  },
];
