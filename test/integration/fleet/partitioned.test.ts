// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * A partitioned copy on the fleet (docs/adr/0028): three `osiris worker --queue` processes on the local Redis
 * (own DB number and key prefix), a 1M-row MariaDB → Postgres replace in 8 partitions submitted with
 * `--target queue`, and one worker SIGKILLed while it loads a partition. BullMQ's stalled-job check gives that
 * partition to another worker, which reloads its staging table from scratch: the target equals the source
 * (count and checksum), no staging table is left, and the run record names the retried partition.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, type SpawnedCli, spawnCli, tempDir } from '../../helpers/cli.js';
import {
  mysqlToPostgresProject,
  mysqlUnavailable,
  postgresUnavailable,
  uniqueName,
} from '../../helpers/databases.js';
import { createTestDb, type MysqlTestDb } from '../mysql/helpers.js';
import { openPgFixture, type PgFixture } from '../postgres/helpers.js';

const REDIS_URL = 'redis://127.0.0.1:6379/9';

async function redisUnavailable(): Promise<string | undefined> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    if (process.env.OSIRIS_CI === '1')
      throw new Error(`Redis is required in CI: ${(error as Error).message}`);
    return `Redis unavailable: ${(error as Error).message}`;
  } finally {
    probe.disconnect();
  }
}

const why = (await mysqlUnavailable()) ?? (await postgresUnavailable()) ?? (await redisUnavailable());
const ROWS = 1_000_000;

interface Event {
  event: string;
  [key: string]: unknown;
}

describe.skipIf(why !== undefined)('part_ partitioned copy on the fleet', () => {
  let my: MysqlTestDb;
  let pg: PgFixture;
  let project: string;
  const prefix = uniqueName('part');
  const env = { OSIRIS_QUEUE_PREFIX: prefix, OSIRIS_QUEUE_STALLED_MS: '1000' };
  const workers: Array<SpawnedCli & { name: string; log: string[] }> = [];

  beforeAll(async () => {
    my = await createTestDb('part');
    pg = await openPgFixture();
    project = mysqlToPostgresProject(tempDir('osiris-part-fleet-'), my.name, pg.schema);
    writeFileSync(
      join(project, 'copy.yaml'),
      `oml_version: "0.1.0"
name: part-fleet
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.src"
      table: src
      partition: { column: id, count: 8 }
  - id: load
    component: postgres.writer
    mode: write
    needs: [extract]
    config:
      connection: "@postgres.dst"
      table: dst
      write_mode: replace
`,
    );
    await my.admin.query(`
      CREATE TABLE src (id INT PRIMARY KEY, v VARCHAR(30), n INT);
      INSERT INTO src SELECT seq, CONCAT('row ', seq), seq % 1000 FROM seq_1_to_${ROWS};`);
    await pg.exec(`CREATE TABLE ${pg.q('dst')} (id integer PRIMARY KEY, v text, n integer);
      CREATE TABLE ${pg.q('kept')} (id integer PRIMARY KEY, n integer); INSERT INTO ${pg.q('kept')} VALUES (1, 1), (2, 2)`);
    // The last range holds a value the target's integer column refuses: that partition fails for good.
    await my.admin.query(`CREATE TABLE bad (id INT PRIMARY KEY, n VARCHAR(10));
      INSERT INTO bad SELECT seq, IF(seq = 2990, 'oops', CAST(seq AS CHAR)) FROM seq_1_to_3000;`);
    writeFileSync(
      join(project, 'bad.yaml'),
      `oml_version: "0.1.0"
name: part-fleet-bad
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.src"
      table: bad
      partition: { column: id, count: 3 }
  - id: load
    component: postgres.writer
    mode: write
    needs: [extract]
    config:
      connection: "@postgres.dst"
      table: kept
      write_mode: replace
`,
    );
    for (const name of ['w1', 'w2', 'w3']) {
      const w = spawnCli(
        ['worker', '--queue', REDIS_URL, '--concurrency', '1', '--name', `${prefix}-${name}`],
        {
          cwd: project,
          env,
          timeoutMs: 90_000,
        },
      );
      const log: string[] = [];
      w.child.stderr?.on('data', (c: Buffer) => log.push(...c.toString('utf8').split('\n')));
      workers.push({ ...w, name, log });
    }
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.done.catch(() => undefined)));
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await my?.drop();
    await pg?.close();
  });

  it('survives a worker killed mid-partition: same rows, no staging, the retry on record', {
    timeout: 90_000,
  }, async () => {
    // Kill the first worker seen loading a partition, a moment into it.
    let killed: { worker: string; job: string } | undefined;
    const watch = setInterval(() => {
      if (killed) return;
      for (const w of workers) {
        const line = w.log.find((l) => /job part-[\w-]+-\d+ \(partition\.copy\) started/.test(l));
        if (!line) continue;
        killed = { worker: w.name, job: /job (part-[\w-]+-\d+)/.exec(line)?.[1] ?? '' };
        setTimeout(() => w.child.kill('SIGKILL'), 300);
        return;
      }
    }, 50);
    const r = await runCliAsync(['run', 'copy.yaml', '--target', 'queue', '--queue', REDIS_URL, '--json'], {
      cwd: project,
      env,
      timeoutMs: 80_000,
    });
    clearInterval(watch);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(killed).toBeDefined();
    const json = JSON.parse(r.stdout) as { status: string; run_dir: string };
    expect(json.status).toBe('succeeded');

    // Order-independent checksum: the sum of the first 32 bits of every row's md5 (same text on both sides).
    const [src] = await my.rows(
      "SELECT COUNT(*) AS c, SUM(n) AS s, SUM(CAST(CONV(SUBSTR(MD5(CONCAT_WS(':', id, v, n)), 1, 8), 16, 10) AS UNSIGNED)) AS h FROM src",
    );
    const [dst] = await pg.rows<{ c: string; s: string; h: string }>(
      `SELECT count(*)::text AS c, sum(n)::text AS s, sum(('x' || substr(md5(concat_ws(':', id, v, n)), 1, 8))::bit(32)::bigint)::text AS h FROM ${pg.q('dst')}`,
    );
    expect(dst).toEqual({ c: String(src?.c), s: String(src?.s), h: String(src?.h) });
    const staging = await pg.rows(
      "SELECT relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND relname LIKE 'osiris\\_part\\_%'",
      [pg.schema],
    );
    expect(staging).toEqual([]);

    const events = readFileSync(join(json.run_dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Event);
    const index = Number(killed?.job.split('-').pop());
    expect(events.filter((e) => e.event === 'partition.retried').map((e) => e.partition)).toContain(index);
    const done = events.filter((e) => e.event === 'partition.complete');
    expect(done).toHaveLength(8);
    expect(done.find((e) => e.partition === index)?.worker).not.toBe(`${prefix}-${killed?.worker}`);
  });

  it('a replace whose last partition fails leaves the target unchanged and nothing staged', {
    timeout: 60_000,
  }, async () => {
    const before = await pg.fingerprint('kept');
    const r = await runCliAsync(['run', 'bad.yaml', '--target', 'queue', '--queue', REDIS_URL, '--json'], {
      cwd: project,
      env,
      timeoutMs: 50_000,
    });
    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse(r.stdout) as { status: string; error?: { code: string; message: string } };
    expect(json.error?.code).toBe('partition.failed');
    expect(json.error?.message).toMatch(/partition 2 .*oops/);
    expect(await pg.fingerprint('kept')).toEqual(before);
    const staging = await pg.rows(
      "SELECT relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND relname LIKE 'osiris\\_part\\_%'",
      [pg.schema],
    );
    expect(staging).toEqual([]);
  });
});
