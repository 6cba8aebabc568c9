/**
 * Creating and preparing an E2B sandbox for one run, with the official `e2b` SDK:
 *  1. create it from the template (timeout = the run's deadline; env = only what the user passed explicitly),
 *  2. check the template gives the CPU and memory asked for (E2B fixes both when a template is built; the
 *     create API has no such parameters, so `--cpu`/`--memory-gb` are enforced minimums, not requests),
 *  3. upload the package bundle and unpack it, install dependencies when asked, else require the template's,
 *  4. start `osiris worker` with stdin open, its output streamed back through the callbacks.
 * Every failure names the sandbox and what to do; the caller kills the sandbox whatever happens.
 */
import type { CommandHandle, Sandbox } from 'e2b';
import { ExitCode, OsirisError } from '../../diagnostics/diagnostic.js';
import { buildBundle } from './bundle.js';
import type { E2bOptions } from './options.js';

/** Paths are relative to the sandbox user's home (/home/user), where commands start and files land. */
export const PACKAGE_DIR = 'osiris';
/** The worker's own empty folder, as the process target gives it one. */
export const RUN_DIR = 'osiris-run';
const BUNDLE = 'osiris-bundle.tgz';
const DOCS = 'see docs/reference/targets.md#e2b';

/**
 * Asks the API once (listing at most one sandbox) so that a rejected key stops the run before it starts
 * (exit 2, no run record). Other failures are left to sandbox creation, which records them as a failed run.
 */
export async function checkApiKey(options: E2bOptions): Promise<void> {
  const { Sandbox, AuthenticationError } = await import('e2b');
  try {
    await Sandbox.list({ apiKey: options.apiKey, limit: 1 }).nextItems();
  } catch (error) {
    if (error instanceof AuthenticationError) throw rejectedKey(error);
  }
}

function rejectedKey(error: Error): OsirisError {
  return OsirisError.of(
    'E2B010',
    `E2B rejected the API key in E2B_API_KEY: ${error.message}`,
    {},
    {
      hint: 'check or create a key at https://e2b.dev/dashboard?tab=keys',
      exitCode: ExitCode.usage,
    },
  );
}

export async function createSandbox(options: E2bOptions): Promise<Sandbox> {
  const { Sandbox, AuthenticationError } = await import('e2b');
  try {
    return await Sandbox.create(options.template, {
      apiKey: options.apiKey,
      timeoutMs: options.timeoutSec * 1000,
      envs: options.envs,
      metadata: { app: 'osiris' },
    });
  } catch (error) {
    const reason = (error as Error).message;
    if (error instanceof AuthenticationError) {
      throw OsirisError.of(
        'E2B010',
        `E2B rejected the API key in E2B_API_KEY: ${reason}`,
        {},
        {
          hint: 'check or create a key at https://e2b.dev/dashboard?tab=keys',
          exitCode: ExitCode.usage,
        },
      );
    }
    throw OsirisError.of(
      'E2B011',
      `could not create an E2B sandbox from template '${options.template}': ${reason}`,
      {},
      {
        hint: `check the template name (--e2b-template / OSIRIS_E2B_TEMPLATE); ${DOCS}`,
        exitCode: ExitCode.runtime,
      },
    );
  }
}

/** Fails (exit 2) when the template's resources are below what --cpu / --memory-gb require. */
export async function checkResources(sandbox: Sandbox, options: E2bOptions): Promise<void> {
  if (options.cpu === undefined && options.memoryGb === undefined) return;
  const info = await sandbox.getInfo();
  const short: string[] = [];
  if (options.cpu !== undefined && info.cpuCount < options.cpu)
    short.push(`${info.cpuCount} vCPU (--cpu ${options.cpu})`);
  const wantMb = options.memoryGb === undefined ? 0 : Math.round(options.memoryGb * 1024);
  if (info.memoryMB < wantMb) short.push(`${info.memoryMB} MB memory (--memory-gb ${options.memoryGb})`);
  if (short.length === 0) return;
  throw OsirisError.of(
    'E2B012',
    `E2B template '${options.template}' provides only ${short.join(' and ')}; sandbox ${sandbox.sandboxId} was closed`,
    {},
    {
      hint: `E2B sets CPU and memory when a template is built: build one with more (e2b template build --cpu-count N --memory-mb M) and pass it with --e2b-template; ${DOCS}`,
      exitCode: ExitCode.usage,
    },
  );
}

async function run(sandbox: Sandbox, what: string, cmd: string, timeoutMs: number): Promise<void> {
  const { CommandExitError } = await import('e2b');
  try {
    await sandbox.commands.run(cmd, { timeoutMs });
  } catch (error) {
    const detail =
      error instanceof CommandExitError
        ? `exit code ${error.exitCode}: ${error.stderr.trim().split('\n').slice(-3).join(' | ')}`
        : (error as Error).message;
    throw new Error(`${what} in E2B sandbox ${sandbox.sandboxId} failed (${detail})`);
  }
}

/** Uploads and unpacks the package; installs or checks its dependencies. */
export async function preparePackage(sandbox: Sandbox, options: E2bOptions): Promise<void> {
  const bundle = buildBundle();
  try {
    const bytes = bundle.buffer.slice(
      bundle.byteOffset,
      bundle.byteOffset + bundle.byteLength,
    ) as ArrayBuffer;
    await sandbox.files.write(BUNDLE, bytes);
  } catch (error) {
    const size = `${(bundle.length / 1024 / 1024).toFixed(1)} MB`;
    throw new Error(
      `could not upload the Osiris package (dist/, bin/, package.json, lockfile: ${size}) into E2B sandbox ${sandbox.sandboxId}: ${(error as Error).message}`,
    );
  }
  await run(
    sandbox,
    'unpacking the Osiris package',
    `set -e; mkdir -p ${PACKAGE_DIR} ${RUN_DIR}; tar -xzf ${BUNDLE} -C ${PACKAGE_DIR}; rm -f ${BUNDLE}`,
    120_000,
  );
  if (options.installDeps) {
    await run(
      sandbox,
      'npm ci --omit=dev (--e2b-install-deps)',
      `cd ${PACKAGE_DIR} && npm ci --omit=dev --ignore-scripts --no-audit --no-fund`,
      options.timeoutSec * 1000,
    );
    return;
  }
  await run(
    sandbox,
    `checking the template's Node dependencies (${PACKAGE_DIR}/node_modules)`,
    `test -d ${PACKAGE_DIR}/node_modules || { echo "template '${options.template}' has no ~/${PACKAGE_DIR}/node_modules: pass --e2b-install-deps, or build a template with them (${DOCS})" >&2; exit 3; }`,
    30_000,
  );
}

export interface WorkerCallbacks {
  onStdout(data: string): void;
  onStderr(data: string): void;
}

/**
 * Starts the worker. A heartbeat line on stderr every `beatSec` lets the host tell a quiet step from a stalled
 * stream (stdout carries protocol lines only); the wrapper exits with the worker's code.
 */
export async function startWorker(
  sandbox: Sandbox,
  options: E2bOptions,
  callbacks: WorkerCallbacks,
): Promise<CommandHandle> {
  const beatSec = Math.max(1, Math.min(10, Math.floor(options.stallSec / 3)));
  const cmd = [
    `cd ${RUN_DIR}`,
    `( while sleep ${beatSec} >/dev/null 2>&1; do echo ${HEARTBEAT} >&2; done ) & beat=$!`,
    `node ../${PACKAGE_DIR}/bin/osiris.js worker; code=$?`,
    'kill $beat 2>/dev/null; exit $code',
  ].join('; ');
  return sandbox.commands.run(cmd, {
    background: true,
    stdin: true,
    timeoutMs: options.timeoutSec * 1000,
    onStdout: callbacks.onStdout,
    onStderr: callbacks.onStderr,
  });
}

export const HEARTBEAT = 'osiris-e2b-heartbeat';
