/**
 * `osiris schedule`: BullMQ job schedulers on the runs queue. A schedule holds the compiled, secret-free
 * build (a `run` job template without a run id); each firing is an ordinary `run` job, so it is recorded
 * like any other (sync.ts), and a failed run never blocks the next (the scheduler adds the next job when it
 * takes this one, whatever its outcome).
 */
import { OsirisError } from '../diagnostics/diagnostic.js';
import { JOB_DEFAULTS, openQueue } from './jobs.js';
import type { FleetSettings } from './redis.js';
import type { RunJobData } from './run-job.js';

export interface ScheduleInfo {
  name: string;
  pipeline: string;
  project_root: string;
  cron: string | null;
  tz: string | null;
  every_ms: number | null;
  next: string | null;
  fired: number;
}

export async function addSchedule(
  settings: FleetSettings,
  name: string,
  repeat: { cron?: string; tz?: string; everyMs?: number },
  data: RunJobData,
): Promise<ScheduleInfo> {
  const { run_id: _ignored, ...template } = data;
  const queue = await openQueue(settings);
  try {
    const repeatOpts = repeat.everyMs
      ? { every: repeat.everyMs }
      : { pattern: repeat.cron as string, ...(repeat.tz ? { tz: repeat.tz } : {}) };
    try {
      await queue.queue.upsertJobScheduler(name, repeatOpts, {
        name: 'run',
        data: { ...template, schedule: name } as never,
        opts: { ...JOB_DEFAULTS },
      });
    } catch (error) {
      throw OsirisError.of(
        'schedule.bad_cron',
        `schedule '${name}': ${(error as Error).message}`,
        {},
        {
          hint: 'a cron pattern has 5 fields (or 6 with seconds), e.g. --cron "0 3 * * *"; --tz Europe/Berlin',
        },
      );
    }
    await queue.redis.hset(
      queue.keys.schedules,
      name,
      JSON.stringify({ pipeline: data.pipeline, project_root: data.run.project_root }),
    );
  } finally {
    await queue.close();
  }
  const found = (await listSchedules(settings)).find((s) => s.name === name);
  if (!found) throw OsirisError.of('schedule.not_saved', `schedule '${name}' was not saved`);
  return found;
}

export async function listSchedules(settings: FleetSettings): Promise<ScheduleInfo[]> {
  const queue = await openQueue(settings);
  try {
    const owners = await queue.redis.hgetall(queue.keys.schedules);
    const schedulers = await queue.queue.getJobSchedulers(0, -1, true);
    return schedulers.map((s) => {
      const name = s.id ?? s.key;
      const owner = JSON.parse(owners[name] ?? '{}') as { pipeline?: string; project_root?: string };
      return {
        name,
        pipeline: owner.pipeline ?? '',
        project_root: owner.project_root ?? '',
        cron: s.pattern ?? null,
        tz: s.tz ?? null,
        every_ms: s.every ?? null,
        next: s.next ? new Date(s.next).toISOString() : null,
        // BullMQ counts the jobs it produced, and it produces the next (still delayed) run in advance.
        fired: Math.max(0, (s.iterationCount ?? 0) - 1),
      };
    });
  } finally {
    await queue.close();
  }
}

/** Removes a schedule; false when there was none of that name (already gone: not an error). */
export async function removeSchedule(settings: FleetSettings, name: string): Promise<boolean> {
  const queue = await openQueue(settings);
  try {
    const removed = await queue.queue.removeJobScheduler(name);
    await queue.redis.hdel(queue.keys.schedules, name);
    return removed;
  } finally {
    await queue.close();
  }
}
