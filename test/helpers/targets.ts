/**
 * Execution targets the parity and canary tests run besides `local` (issue 15). A target adds one entry:
 * its name for `--target` and the extra environment its runs need (e2b: the emulator's URLs and key).
 */
import { afterAll } from 'vitest';
import { sharedE2bEmulator, sharedE2bEnv } from './e2b-emulator/shared.js';
import { redisUnavailable, TestFleet } from './fleet.js';

export interface RemoteTarget {
  name: string;
  env?: () => Record<string, string>;
  /** Keep the worker's folders under `dir` from now on (the canary searches them), when the test decides it. */
  workDir?: (dir: string) => void;
  /**
   * Where the run's worker gets its own connections and environment (queue: a fleet worker resolves secrets
   * itself): called with the project folder and the run's env before the run. Restarts the worker there.
   */
  useProject?: (dir: string, env: Record<string, string>) => Promise<void>;
  /** What the target keeps outside the project (queue: everything in Redis), searched for secrets. */
  stored?: () => Promise<string>;
}

/** The queue target's fleet: one worker, restarted in each project a test runs (its connections). */
const fleet = (await redisUnavailable()) === undefined ? new TestFleet() : undefined;
// The test file that imported this stops the fleet's worker and deletes its keys when it ends.
if (fleet) afterAll(() => fleet.cleanup());
const queueTarget: RemoteTarget[] = fleet
  ? [
      {
        name: 'queue',
        env: () => fleet.env(),
        stored: () => fleet.stored(),
        useProject: async (dir, env) => {
          await fleet.stopAll();
          await fleet.start('parity', dir, env);
        },
      },
    ]
  : [];

export const REMOTE_TARGETS: RemoteTarget[] = [
  { name: 'process' },
  {
    name: 'e2b',
    env: sharedE2bEnv,
    workDir: (dir) => {
      sharedE2bEmulator.folderRoot = dir;
    },
  },
  ...queueTarget,
];
