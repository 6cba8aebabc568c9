import type { Command } from 'commander';

/**
 * `osiris worker`: the worker end of the protocol over stdio (docs/reference/worker-protocol.md). Started by
 * a target (process, e2b), never by hand: it reads JSON lines on stdin and writes JSON lines on stdout.
 */
export function register(program: Command): void {
  program
    .command('worker')
    .description('serve one run over the worker protocol on stdin/stdout (started by --target process|e2b)')
    .action(async () => {
      const { runWorkerStdio } = await import('../../targets/stdio-worker.js');
      process.exitCode = await runWorkerStdio();
    });
}
