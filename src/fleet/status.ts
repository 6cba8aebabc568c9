/** `osiris fleet status`: the workers that announce themselves, the queue's job counts, the schedules. */
import { openQueue } from './jobs.js';
import { type FleetSettings, redactUrl } from './redis.js';
import { listSchedules, type ScheduleInfo } from './schedules.js';

export interface WorkerInfo {
  name: string;
  host: string;
  pid: number;
  alive: boolean;
  started: string;
  heartbeat: string;
  current: string | null;
  done: number;
  failed: number;
  concurrency: number;
  components: number;
  kinds: string[];
}

export interface FleetStatus {
  queue: string;
  workers: WorkerInfo[];
  jobs: { waiting: number; active: number; delayed: number; completed: number; failed: number };
  schedules: ScheduleInfo[];
}

export async function fleetStatus(settings: FleetSettings): Promise<FleetStatus> {
  const queue = await openQueue(settings);
  try {
    const { redis, keys } = queue;
    const workers: WorkerInfo[] = [];
    for (const name of (await redis.smembers(keys.workers)).sort()) {
      const h = await redis.hgetall(keys.worker(name));
      if (!h.name) {
        await redis.srem(keys.workers, name); // its announcement expired: it is gone
        continue;
      }
      workers.push({
        name,
        host: h.host ?? '',
        pid: Number(h.pid),
        alive: Date.now() - Date.parse(h.heartbeat ?? '') < 15_000,
        started: h.started ?? '',
        heartbeat: h.heartbeat ?? '',
        current: h.current || null,
        done: Number(h.done ?? 0),
        failed: Number(h.failed ?? 0),
        concurrency: Number(h.concurrency ?? 1),
        components: (JSON.parse(h.components ?? '[]') as string[]).length,
        kinds: JSON.parse(h.kinds ?? '[]') as string[],
      });
    }
    const counts = await queue.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    const jobs = {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
    };
    return { queue: redactUrl(settings.url), workers, jobs, schedules: await listSchedules(settings) };
  } finally {
    await queue.close();
  }
}
