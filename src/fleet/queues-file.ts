/**
 * `<index>/fleet-queues.json`: the queues this project sent detached or scheduled runs to (with
 * `execution.queue`), so `runs list` knows where to sync from. Light on purpose: `runs list` reads it on
 * every call and loads the fleet code only when it lists a queue.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectConfig } from '../project/config.js';
import { writeFileAtomic } from '../util/fs-atomic.js';

function queuesFile(project: ProjectConfig): string {
  return join(project.paths.index, 'fleet-queues.json');
}

export function rememberedQueues(project: ProjectConfig): string[] {
  const file = queuesFile(project);
  const listed: string[] = [];
  if (existsSync(file)) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { queues?: unknown };
      if (Array.isArray(parsed.queues)) listed.push(...parsed.queues.filter((q) => typeof q === 'string'));
    } catch {
      // an unreadable file lists nothing; the next submit rewrites it
    }
  }
  const configured = project.execution.queue;
  return [...new Set([...(configured ? [configured] : []), ...listed])];
}

export function rememberQueue(project: ProjectConfig, url: string): void {
  const queues = rememberedQueues(project);
  if (queues.includes(url)) return;
  // The URL may hold a password: the file is the project's, next to its run index, never in a record.
  writeFileAtomic(queuesFile(project), `${JSON.stringify({ queues: [...queues, url] }, null, 2)}\n`);
}
