/**
 * Fleet workers for tests: real `osiris worker --queue` processes on the local Redis, under a key prefix of
 * their own (`fleet_<random>`), so tests running at the same time never share a queue. In CI (`OSIRIS_CI=1`)
 * a missing Redis fails the test. Workers are SIGKILLed and the prefix's keys deleted when the test process
 * exits.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { OSIRIS_BIN } from './cli.js';

export const REDIS_URL = 'redis://127.0.0.1:6379/0';

/** `undefined` when Redis answers; otherwise why not. Throws in CI. */
export async function redisUnavailable(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  redis.on('error', () => undefined);
  let why: string | undefined;
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    why = (error as Error).message || 'no answer';
  } finally {
    redis.disconnect();
  }
  if (why && process.env.OSIRIS_CI === '1')
    throw new Error(`Redis is required in CI but unreachable at 127.0.0.1:6379: ${why}`);
  if (why) console.warn(`skipping fleet tests: Redis unreachable at 127.0.0.1:6379 (${why})`);
  return why;
}

export interface FleetWorker {
  name: string;
  child: ChildProcess;
  /** What the worker printed on stderr so far. */
  log: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class TestFleet {
  readonly prefix = `fleet_${randomBytes(4).toString('hex')}`;
  readonly workers: FleetWorker[] = [];
  /** Short stalled-job checks: a killed worker's job is re-run within about two seconds. */
  readonly stalledMs = 1500;

  constructor() {
    process.once('exit', () => this.killAllSync());
  }

  /** What a submitting CLI needs to reach this fleet. */
  env(): Record<string, string> {
    return {
      OSIRIS_QUEUE: REDIS_URL,
      OSIRIS_QUEUE_PREFIX: this.prefix,
      OSIRIS_QUEUE_STALLED_MS: String(this.stalledMs),
    };
  }

  /** Starts a worker in `cwd` (its project: connections, .env) and resolves once it serves the queue. */
  async start(name: string, cwd: string, env: Record<string, string> = {}): Promise<FleetWorker> {
    const child = spawn(process.execPath, [OSIRIS_BIN, 'worker', '--queue', REDIS_URL, '--name', name], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...this.env(), ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let text = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${name} did not start: ${text}`)), 15_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes(' serving ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`worker ${name} exited at start: ${text}`));
      });
    });
    const worker = { name, child, log: () => text, exited };
    this.workers.push(worker);
    return worker;
  }

  /** SIGTERM (graceful) every worker still running and waits for them. */
  async stopAll(): Promise<void> {
    const running = this.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    for (const w of running) w.child.kill('SIGTERM');
    await Promise.all(running.map((w) => w.exited));
    this.workers.length = 0;
  }

  killAllSync(): void {
    for (const w of this.workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    spawnSync('sh', ['-c', `redis-cli --scan --pattern '${this.prefix}:*' | xargs -r redis-cli del`], {
      stdio: 'ignore',
    });
  }

  /** Everything stored under this fleet's prefix, as text (tests search it for secrets). */
  async stored(): Promise<string> {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const parts: unknown[] = [];
    try {
      for (const key of await redis.keys(`${this.prefix}:*`)) {
        const type = await redis.type(key);
        if (type === 'string') parts.push(await redis.get(key));
        else if (type === 'hash') parts.push(await redis.hgetall(key));
        else if (type === 'list') parts.push(await redis.lrange(key, 0, -1));
        else if (type === 'set') parts.push(await redis.smembers(key));
        else if (type === 'zset') parts.push(await redis.zrange(key, 0, -1));
        else if (type === 'stream') parts.push(await redis.xrange(key, '-', '+'));
      }
    } finally {
      redis.disconnect();
    }
    return JSON.stringify(parts);
  }

  /** Deletes this fleet's keys (the prefix's). */
  async cleanup(): Promise<void> {
    await this.stopAll();
    this.killAllSync();
  }
}
