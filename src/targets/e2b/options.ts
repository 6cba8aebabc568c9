/**
 * The e2b target's settings, from flags and the environment, checked before any sandbox exists (exit 2).
 * Unlike the original, nothing is copied into the sandbox implicitly: its environment is exactly the
 * `--e2b-env K=V` pairs plus the `--e2b-pass-env NAME` variables; run secrets travel in the worker protocol.
 */
import { ExitCode, OsirisError } from '../../diagnostics/diagnostic.js';

export interface E2bFlags {
  timeout?: string | number;
  cpu?: string | number;
  memoryGb?: string | number;
  e2bEnv?: string[];
  e2bPassEnv?: string[];
  e2bInstallDeps?: boolean;
  e2bTemplate?: string;
}

export interface E2bOptions {
  apiKey: string;
  template: string;
  /** Sandbox lifetime and run deadline, seconds. */
  timeoutSec: number;
  /** Minimum vCPUs / memory the template must provide (E2B fixes both when a template is built). */
  cpu?: number;
  memoryGb?: number;
  /** The sandbox's environment: --e2b-env pairs and --e2b-pass-env copies, nothing else. */
  envs: Record<string, string>;
  installDeps: boolean;
  /** Fail when the worker sends nothing (not even a heartbeat) for this long. */
  stallSec: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const DEFAULT_TEMPLATE = 'base';
export const DEFAULT_TIMEOUT_SEC = 900;

function usage(code: string, message: string, hint: string): OsirisError {
  return OsirisError.of(code, message, {}, { hint, exitCode: ExitCode.usage });
}

function positive(flag: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw usage('E2B002', `${flag} must be a positive number, got '${value}'`, `e.g. ${flag} 2`);
  }
  return n;
}

function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const envs: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    if (!ENV_NAME.test(name)) {
      throw usage(
        'E2B003',
        `--e2b-env expects NAME=VALUE, got '${pair.split('=')[0]}…'`,
        'e.g. --e2b-env TZ=UTC',
      );
    }
    envs[name] = pair.slice(eq + 1);
  }
  return envs;
}

function passEnv(names: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const envs: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (!ENV_NAME.test(name) || value === undefined) {
      throw usage(
        'E2B004',
        `--e2b-pass-env ${name}: no such variable in this environment`,
        'set it before running, or drop the flag (run secrets reach the worker without it)',
      );
    }
    envs[name] = value;
  }
  return envs;
}

/** The e2b flags out of the CLI's option bag (commander's camelCase keys), by type. */
export function e2bFlagsOf(options: Record<string, unknown>): E2bFlags {
  const scalar = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? v : undefined);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : undefined);
  return {
    timeout: scalar(options.timeout),
    cpu: scalar(options.cpu),
    memoryGb: scalar(options.memoryGb),
    e2bEnv: list(options.e2bEnv),
    e2bPassEnv: list(options.e2bPassEnv),
    e2bInstallDeps: options.e2bInstallDeps === true,
    e2bTemplate: typeof options.e2bTemplate === 'string' ? options.e2bTemplate : undefined,
  };
}

export function resolveE2bOptions(flags: E2bFlags, env: NodeJS.ProcessEnv = process.env): E2bOptions {
  const apiKey = env.E2B_API_KEY;
  if (!apiKey) {
    throw usage(
      'E2B001',
      'the e2b target needs an E2B API key in the environment variable E2B_API_KEY',
      'create one at https://e2b.dev/dashboard?tab=keys and export E2B_API_KEY=e2b_… (see docs/reference/targets.md)',
    );
  }
  const stall = positive('OSIRIS_E2B_STALL_SECONDS', env.OSIRIS_E2B_STALL_SECONDS);
  return {
    apiKey,
    template: flags.e2bTemplate ?? env.OSIRIS_E2B_TEMPLATE ?? DEFAULT_TEMPLATE,
    timeoutSec: positive('--timeout', flags.timeout) ?? DEFAULT_TIMEOUT_SEC,
    cpu: positive('--cpu', flags.cpu),
    memoryGb: positive('--memory-gb', flags.memoryGb),
    envs: { ...parseEnvPairs(flags.e2bEnv ?? []), ...passEnv(flags.e2bPassEnv ?? [], env) },
    installDeps: flags.e2bInstallDeps === true || env.OSIRIS_E2B_INSTALL_DEPS === '1',
    stallSec: stall ?? 60,
  };
}
