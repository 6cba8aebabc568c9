import type { Command } from 'commander';
import { configOption, jsonOption, numberOption, queueOption } from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

interface WorkerFlags extends OutputOptions {
  info?: boolean;
  protocol?: string | number;
  queue?: string;
  concurrency?: string | number;
  name?: string;
  config?: string;
}

/**
 * `osiris worker`: the worker end of the protocol over stdio (docs/reference/worker-protocol.md). A target
 * (process, e2b) starts it: it reads JSON lines on stdin and writes JSON lines on stdout. `--info` says
 * whether this installation can serve a host speaking `--protocol <n>` (what a target checks first).
 * `--queue <url>`: a long-lived fleet worker taking runs from BullMQ on Redis (src/fleet/worker.ts).
 */
export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'serve one run over the worker protocol on stdin/stdout (started by --target process|e2b), or with --queue serve runs from the fleet queue',
    )
    .option('--info', 'print the protocol version, Osiris and Node versions instead of serving a run')
    .addOption(numberOption('--protocol <n>', 'the protocol version the host speaks', 1))
    .addOption(queueOption('serve runs from this fleet queue (redis://host:6379/0) until SIGTERM'))
    .addOption(numberOption('--concurrency <n>', 'with --queue: run up to n jobs at once', 1))
    .option('--name <name>', 'with --queue: the name fleet status shows (default: host-pid)')
    .addOption(configOption())
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
        if (flags.queue !== undefined) return queueWorker(flags);
        const { runWorkerStdio } = await import('../../targets/stdio-worker.js');
        return (await runWorkerStdio()) as 0 | 1;
      }),
    );
}

async function queueWorker(flags: WorkerFlags): Promise<0 | 1> {
  const { OsirisError } = await import('../../diagnostics/diagnostic.js');
  const concurrency = Number(flags.concurrency ?? 1);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw OsirisError.of(
      'fleet.bad_concurrency',
      `--concurrency must be a whole number from 1 to 64, got '${String(flags.concurrency)}'`,
      {},
      { hint: 'e.g. --concurrency 2 (about one per core)' },
    );
  const { loadProjectConfig } = await import('../../project/config.js');
  const { loadDotEnv } = await import('../../connections/env.js');
  const cwd = process.cwd();
  const env = process.env;
  // The worker's own project: its connections and .env resolve the secrets of every run it takes.
  const project = loadProjectConfig({ cwd, env, ...(flags.config ? { configFile: flags.config } : {}) });
  loadDotEnv({ cwd, env, projectRoot: project.root });
  const { runQueueWorker } = await import('../../fleet/worker.js');
  const code = await runQueueWorker({
    url: flags.queue as string,
    concurrency,
    ...(flags.name ? { name: flags.name } : {}),
    projectDir: project.root,
    env,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  return code === 0 ? 0 : 1;
}
