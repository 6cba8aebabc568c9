import type { Command } from 'commander';
import { jsonOption, numberOption } from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

interface WorkerFlags extends OutputOptions {
  info?: boolean;
  protocol?: string | number;
}

/**
 * `osiris worker`: the worker end of the protocol over stdio (docs/reference/worker-protocol.md). A target
 * (process, e2b) starts it: it reads JSON lines on stdin and writes JSON lines on stdout. `--info` says
 * whether this installation can serve a host speaking `--protocol <n>` (what a target checks first).
 */
export function register(program: Command): void {
  program
    .command('worker')
    .description('serve one run over the worker protocol on stdin/stdout (started by --target process|e2b)')
    .option('--info', 'print the protocol version, Osiris and Node versions instead of serving a run')
    .addOption(numberOption('--protocol <n>', 'the protocol version the host speaks', 1))
    .addOption(jsonOption())
    .action((flags: WorkerFlags) =>
      runAction(flags, async () => {
        const { PROTOCOL_VERSION } = await import('../../targets/protocol.js');
        if (String(flags.protocol ?? PROTOCOL_VERSION) !== String(PROTOCOL_VERSION)) {
          const { OsirisError } = await import('../../diagnostics/diagnostic.js');
          throw OsirisError.of(
            'WRK004',
            `this worker speaks protocol version ${PROTOCOL_VERSION}, not ${String(flags.protocol)}`,
            {},
            { hint: 'install the same Osiris version on the host and where the worker runs' },
          );
        }
        if (flags.info) {
          const { VERSION } = await import('../version.js');
          const info = { protocol: PROTOCOL_VERSION, osiris: VERSION, node: process.version };
          if (flags.json) (await import('../output.js')).printJsonResult(info);
          else
            (await import('../output.js')).printLine(
              `osiris worker: protocol ${info.protocol}, osiris ${info.osiris}, node ${info.node}`,
            );
          return 0;
        }
        const { runWorkerStdio } = await import('../../targets/stdio-worker.js');
        return (await runWorkerStdio()) as 0 | 1;
      }),
    );
}
