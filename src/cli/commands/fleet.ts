/** `osiris fleet status`: workers, queue and schedules of the fleet (src/fleet/status.ts). */
import type { Command } from 'commander';
import { configOption, jsonOption, queueOption } from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

interface FleetFlags extends OutputOptions {
  config?: string;
  queue?: string;
}

export function register(program: Command): void {
  const fleet = program.command('fleet').description('the worker fleet on the queue (BullMQ on Redis)');
  fleet
    .command('status')
    .description(
      'workers (alive, current job, done/failed), queue counts (waiting, active, delayed) and schedules',
    )
    .addOption(queueOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action((flags: FleetFlags) =>
      runAction(flags, async () => {
        const { loadProjectConfig } = await import('../../project/config.js');
        const { fleetSettings } = await import('../../fleet/redis.js');
        const { queueUrl } = await import('../../fleet/target.js');
        const { fleetStatus } = await import('../../fleet/status.js');
        const project = loadProjectConfig({ cwd: process.cwd(), env: process.env, configFile: flags.config });
        const settings = fleetSettings(queueUrl(flags.queue, project.execution.queue, 'osiris fleet status'));
        const status = await fleetStatus(settings);
        const { printJsonResult, printLine } = await import('../output.js');
        if (flags.json) {
          printJsonResult({ fleet: status });
          return 0;
        }
        printLine(`queue ${status.queue}`);
        const j = status.jobs;
        printLine(
          `  jobs: ${j.waiting} waiting, ${j.active} active, ${j.delayed} delayed, ${j.completed} completed, ${j.failed} failed`,
        );
        printLine(`  workers: ${status.workers.length}`);
        for (const w of status.workers)
          printLine(
            `    ${w.name}  ${w.alive ? 'alive' : 'silent'}  ${w.host} pid ${w.pid}  ${w.current ? `running ${w.current}` : 'idle'}  done ${w.done} failed ${w.failed}`,
          );
        printLine(`  schedules: ${status.schedules.length}`);
        for (const s of status.schedules)
          printLine(
            `    ${s.name}  ${s.pipeline}  "${s.cron ?? `every ${s.every_ms} ms`}"  next ${s.next ?? '-'}`,
          );
        return 0;
      }),
    );
  for (const cmd of fleet.commands) cmd.exitOverride();
  fleet.exitOverride();
}
