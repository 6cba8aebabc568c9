/**
 * Execution targets by name. `local` runs in this process (no transport); every other target makes a
 * WorkerTransport that host.ts drives. Adding a target is one file and one line here.
 */
import { OsirisError } from '../diagnostics/diagnostic.js';
import { e2bTarget } from './e2b/index.js';
import type { WorkerTransport } from './transport.js';

export const LOCAL_TARGET = 'local';

/** What a target factory gets: the run's environment and the target's CLI options. */
export interface TargetContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Target-specific options from the CLI (e.g. `--timeout`, `--cpu` for e2b), as given. */
  options: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface TargetFactory {
  /** One line for `--help` and docs. */
  description: string;
  /** Checks what the target needs before the run starts (throws or rejects with OsirisError, exit 2). */
  check?(ctx: TargetContext): void | Promise<void>;
  create(ctx: TargetContext): Promise<WorkerTransport>;
  /**
   * The worker may be started before the build exists, so its start-up overlaps the host's compile. Only
   * for targets that cost nothing while idle (a local process, not a paid sandbox).
   */
  startEarly?: boolean;
}

export const TARGETS: Record<string, TargetFactory> = {
  process: {
    description: 'a child `osiris worker` in an empty temp folder with a scrubbed environment',
    create: async () => (await import('./process.js')).processTransport(),
    startEarly: true,
  },
  e2b: e2bTarget,
  // The fleet (src/fleet/): loaded only when used, so other runs never load BullMQ.
  queue: {
    description:
      'a fleet worker (`osiris worker --queue`) through BullMQ on Redis (--queue or execution.queue)',
    check: async (ctx) => (await import('../fleet/target.js')).queueTarget.check?.(ctx),
    create: async (ctx) => (await import('../fleet/target.js')).queueTarget.create(ctx),
  },
};

export function targetNames(): string[] {
  return [LOCAL_TARGET, ...Object.keys(TARGETS)];
}

/**
 * The target a run uses: the flag, else OSIRIS_EXECUTION_TARGET, else `execution.target` in osiris.yaml,
 * else local. An unknown name is a usage error (exit 2) that lists the known ones.
 */
export function selectTarget(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  configured?: string,
  flagName = '--target',
): string {
  const [name, from] =
    flag !== undefined
      ? [flag, flagName]
      : env.OSIRIS_EXECUTION_TARGET
        ? [env.OSIRIS_EXECUTION_TARGET, 'OSIRIS_EXECUTION_TARGET']
        : configured !== undefined
          ? [configured, 'execution.target in osiris.yaml']
          : [LOCAL_TARGET, 'default'];
  if (name === LOCAL_TARGET || name in TARGETS) return name;
  const known = targetNames().join(', ');
  const hint =
    name === 'e2b'
      ? 'the e2b target is not available in this build; use --target process or local'
      : `use one of: ${known}`;
  throw OsirisError.of('WRK001', `unknown execution target '${name}' (from ${from})`, {}, { hint });
}
