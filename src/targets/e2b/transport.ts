/**
 * The e2b target as a WorkerTransport. `e2bTransport` creates the sandbox and checks it (auth, template,
 * resources: usage errors before any run exists); the package upload and the worker start happen behind the
 * first `send`, so their failures (an upload refused, a template without dependencies) end as a failed run.
 * Lines travel over the SDK's commands API: `sendStdin` one message at a time, stdout back through the
 * callback. Transport-level failures end the line stream with an error naming the sandbox: the sandbox
 * dying mid-run, or no output and no heartbeat for `stallSec` (a stalled stream). The sandbox is killed on
 * every path: `close`, `kill`, a failure here; its timeout is the backstop if this process itself dies.
 */
import type { CommandHandle, Sandbox } from 'e2b';
import { OsirisError } from '../../diagnostics/diagnostic.js';
import type { WorkerExit, WorkerTransport } from '../transport.js';
import { LineQueue } from './line-queue.js';
import type { E2bOptions } from './options.js';
import { checkResources, createSandbox, HEARTBEAT, preparePackage, startWorker } from './sandbox.js';

const STDERR_TAIL = 8 * 1024;

/**
 * Never throws: the run session is open by now, so a sandbox that cannot be created or is too small becomes
 * a transport whose first `send` fails with the reason — a failed run with a record, like any later failure.
 */
export async function e2bTransport(options: E2bOptions, signal?: AbortSignal): Promise<WorkerTransport> {
  let sandbox: Sandbox | undefined;
  try {
    // Not aborted midway: a sandbox created while the request was cut off could not be killed.
    sandbox = await createSandbox(options);
    if (signal?.aborted) throw new Error(`cancelled while E2B sandbox ${sandbox.sandboxId} was starting`);
    await checkResources(sandbox, options);
    return new SandboxTransport(sandbox, options, signal);
  } catch (error) {
    await sandbox?.kill().catch(() => undefined);
    return failedTransport(error instanceof Error ? error : new Error(String(error)), sandbox?.sandboxId);
  }
}

function failedTransport(error: Error, sandboxId: string | undefined): WorkerTransport {
  const message = error instanceof OsirisError ? flatMessage(error) : error.message;
  const exit: WorkerExit = { code: null, signal: null, stderrTail: message };
  return {
    ...(sandboxId ? { workerId: `e2b sandbox ${sandboxId}` } : {}),
    lines: (async function* () {})(),
    exited: Promise.resolve(exit),
    send: () => Promise.reject(new Error(message)),
    kill: async () => undefined,
    close: async () => undefined,
  };
}

/** An OsirisError's message with its hint, as one line for the run record. */
function flatMessage(error: OsirisError): string {
  const d = error.diagnostics[0];
  return d ? `${d.message}${d.hint ? ` — ${d.hint}` : ''}` : error.message;
}

class SandboxTransport implements WorkerTransport {
  readonly workerId: string;
  readonly lines = new LineQueue();
  readonly exited: Promise<WorkerExit>;
  private resolveExit!: (exit: WorkerExit) => void;
  private stderrTail = '';
  private handle: Promise<CommandHandle | undefined>;
  private killed: Promise<void> | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly createdAt = Date.now();
  private workerStarted = false;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly options: E2bOptions,
    signal?: AbortSignal,
  ) {
    this.workerId = `e2b sandbox ${sandbox.sandboxId}`;
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
    this.handle = this.start();
    this.handle.catch(() => undefined); // `send` reports it
    // Ctrl-C before the worker runs (an upload, `npm ci`): nothing to roll back, so the sandbox goes now.
    // Once the worker runs, cancelling is the protocol's `cancel`, so its writers roll back first.
    const onAbort = () => {
      if (!this.workerStarted) void this.killSandbox();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.handle.finally(() => signal?.removeEventListener('abort', onAbort)).catch(() => undefined);
  }

  private async start(): Promise<CommandHandle | undefined> {
    await preparePackage(this.sandbox, this.options);
    const handle = await startWorker(this.sandbox, this.options, {
      onStdout: (data) => {
        this.alive();
        this.lines.push(data);
      },
      onStderr: (data) => {
        this.alive();
        const text = data
          .split('\n')
          .filter((l) => l.trim() !== HEARTBEAT)
          .join('\n');
        this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
      },
    });
    this.workerStarted = true;
    this.alive();
    this.watch(handle);
    return handle;
  }

  /** When the sandbox's lifetime is used up, E2B ends it: say so first, it is the cause. */
  private overTime(): string {
    const elapsed = (Date.now() - this.createdAt) / 1000;
    return elapsed >= this.options.timeoutSec - 1
      ? `the run reached --timeout ${this.options.timeoutSec} s, and E2B ended the sandbox: `
      : '';
  }

  /** Resets the stall watchdog: output or a heartbeat arrived. */
  private alive(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.lost(
        `no output and no heartbeat from E2B sandbox ${this.sandbox.sandboxId} for ${this.options.stallSec} s: the stream stalled; the sandbox was killed`,
      );
    }, this.options.stallSec * 1000);
    this.stallTimer.unref();
  }

  private watch(handle: CommandHandle): void {
    handle.wait().then(
      (done) => this.ended({ code: done.exitCode, signal: null, stderrTail: this.stderrTail }),
      (error: unknown) => {
        const code = (error as { exitCode?: unknown }).exitCode;
        if (typeof code === 'number') return this.ended({ code, signal: null, stderrTail: this.stderrTail });
        this.lost(
          `E2B sandbox ${this.sandbox.sandboxId} stopped answering while the run was in flight: ${(error as Error).message}`,
        );
      },
    );
  }

  private ended(exit: WorkerExit): void {
    clearTimeout(this.stallTimer);
    this.lines.end();
    this.resolveExit(exit);
  }

  /** The stream broke: the host sees the error on `lines`, the sandbox goes. */
  private lost(message: string): void {
    clearTimeout(this.stallTimer);
    this.lines.fail(new Error(`${this.overTime()}${message}`));
    this.killSandbox().finally(() =>
      this.resolveExit({ code: null, signal: 'SIGKILL', stderrTail: this.stderrTail }),
    );
  }

  private killSandbox(): Promise<void> {
    this.killed ??= this.sandbox.kill().then(
      () => undefined,
      () => undefined,
    );
    return this.killed;
  }

  async send(line: string): Promise<void> {
    let handle: CommandHandle | undefined;
    try {
      handle = await this.handle;
    } catch (error) {
      const message = `${this.overTime()}${(error as Error).message}`;
      this.ended({ code: null, signal: null, stderrTail: message });
      await this.killSandbox();
      throw new Error(message);
    }
    if (!handle || this.killed) throw new Error(`E2B sandbox ${this.sandbox.sandboxId} is closed`);
    await handle.sendStdin(`${line}\n`);
  }

  async kill(_reason: string): Promise<void> {
    clearTimeout(this.stallTimer);
    await this.killSandbox();
    // The command stream ends with the sandbox; if it does not say so, `exited` must still settle.
    this.handle
      .catch(() => undefined)
      .then(() => {
        this.lines.end();
        this.resolveExit({ code: null, signal: 'SIGKILL', stderrTail: this.stderrTail });
      });
  }

  async close(): Promise<void> {
    clearTimeout(this.stallTimer);
    // Kill first: a start still under way (an upload, `npm ci`) then fails at once instead of being awaited.
    await this.killSandbox();
    await this.handle.catch(() => undefined);
    this.lines.end();
    this.resolveExit({ code: null, signal: 'SIGKILL', stderrTail: this.stderrTail });
  }
}
