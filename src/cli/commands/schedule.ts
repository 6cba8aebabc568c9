/** `osiris schedule add|list|remove`: runs on a cron, taken by the fleet's workers (src/fleet/schedules.ts). */
import type { Command } from 'commander';
import { configOption, jsonOption, queueOption } from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

interface ScheduleFlags extends OutputOptions {
  config?: string;
  queue?: string;
  cron?: string;
  tz?: string;
  name?: string;
}

async function settingsFor(flags: ScheduleFlags, command: string) {
  const { loadProjectConfig } = await import('../../project/config.js');
  const { fleetSettings } = await import('../../fleet/redis.js');
  const { queueUrl } = await import('../../fleet/target.js');
  const project = loadProjectConfig({ cwd: process.cwd(), env: process.env, configFile: flags.config });
  const url = queueUrl(flags.queue, project.execution.queue, command);
  return { project, settings: fleetSettings(url, process.env) };
}

export function register(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('run pipelines on a cron, on the fleet (workers: osiris worker --queue)');
  schedule
    .command('add')
    .description(
      'compile a pipeline and run it on a cron by the fleet (replaces a schedule of the same name)',
    )
    .argument('<pipeline>', 'OML pipeline, manifest.yaml or build folder')
    .requiredOption('--cron <pattern>', 'when to run: 5 cron fields (6 with seconds), e.g. "0 3 * * *"')
    .option('--tz <zone>', 'the time zone of the cron pattern, e.g. Europe/Berlin (default: UTC)')
    .option('--name <name>', 'the schedule name (default: the pipeline id)')
    .addOption(queueOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action((file: string, flags: ScheduleFlags) =>
      runAction(flags, async () => {
        const { project, settings } = await settingsFor(flags, 'osiris schedule add');
        const { loadRegistry } = await import('../../registry/load.js');
        const { prepareRun, stepPreparer } = await import('../../runtime/execute.js');
        const { createRedactor } = await import('../../observability/redact.js');
        const { runJobData, rememberQueue, redactUrl } = await import('../../fleet/target.js');
        const { addSchedule } = await import('../../fleet/schedules.js');
        const registry = loadRegistry({ projectRoot: project.root });
        const base = { cwd: process.cwd(), env: process.env, project, registry, file };
        const { loaded } = await prepareRun(base);
        const redactor = createRedactor({ secretKeys: registry.allSecretKeys() });
        const prepareStep = await stepPreparer(base, redactor, () => undefined);
        const data = await runJobData({ project, registry, loaded, prepareStep, runId: '' });
        const name = flags.name ?? loaded.manifest.pipeline.id;
        const info = await addSchedule(
          settings,
          name,
          { cron: flags.cron as string, ...(flags.tz ? { tz: flags.tz } : {}) },
          data,
        );
        rememberQueue(project, settings.url);
        const { printJsonResult, printLine } = await import('../output.js');
        if (flags.json) printJsonResult({ schedule: info });
        else
          printLine(
            `schedule ${info.name}: ${info.pipeline} at "${info.cron}"${info.tz ? ` (${info.tz})` : ''} on ${redactUrl(settings.url)}; next ${info.next ?? '-'}`,
          );
        return 0;
      }),
    );
  schedule
    .command('list')
    .description("the queue's schedules: name, pipeline, cron, next run")
    .addOption(queueOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action((flags: ScheduleFlags) =>
      runAction(flags, async () => {
        const { settings } = await settingsFor(flags, 'osiris schedule list');
        const { listSchedules } = await import('../../fleet/schedules.js');
        const list = await listSchedules(settings);
        const { printJsonResult, printLine } = await import('../output.js');
        if (flags.json) printJsonResult({ schedules: list });
        else if (list.length === 0)
          printLine('no schedules — add one with `osiris schedule add <pipeline> --cron "…"`');
        else
          for (const s of list)
            printLine(
              `${s.name}  ${s.pipeline}  "${s.cron ?? `every ${s.every_ms} ms`}"${s.tz ? ` ${s.tz}` : ''}  next ${s.next ?? '-'}  fired ${s.fired}`,
            );
        return 0;
      }),
    );
  schedule
    .command('remove')
    .description('remove a schedule (runs already queued still run)')
    .argument('<name>', 'the schedule name (see schedule list)')
    .addOption(queueOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action((name: string, flags: ScheduleFlags) =>
      runAction(flags, async () => {
        const { settings } = await settingsFor(flags, 'osiris schedule remove');
        const { removeSchedule } = await import('../../fleet/schedules.js');
        const removed = await removeSchedule(settings, name);
        const { printJsonResult, printLine, printDiagnostics, warningOf } = await import('../output.js');
        const warnings = removed
          ? []
          : [
              warningOf(
                'schedule.not_found',
                `no schedule named '${name}' on this queue (nothing to remove)`,
              ),
            ];
        if (flags.json) printJsonResult({ removed: removed ? name : null }, { diagnostics: warnings });
        else if (removed) printLine(`removed schedule ${name}`);
        else printDiagnostics(warnings);
        return 0;
      }),
    );
  for (const cmd of schedule.commands) cmd.exitOverride();
  schedule.exitOverride();
}
