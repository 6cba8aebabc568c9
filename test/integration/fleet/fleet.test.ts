/**
 * The fleet (issue 18) against the local Redis with real `osiris worker --queue` processes (at most three):
 * a detached run followed by `logs show` and `runs list`; a worker SIGKILLed mid-job whose run BullMQ's
 * stalled-job check hands to another worker; SIGTERM finishing the current job; two schedules firing every
 * second, a failing one never blocking the other; `fleet status --json`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, spawnCli, tempDir } from '../../helpers/cli.js';
import { redisUnavailable, TestFleet } from '../../helpers/fleet.js';

const why = await redisUnavailable();

const SLEEP_SPEC = `name: fleet.sleep
version: 1.0.0
title: Sleep (test double)
description: Waits, then makes three rows or fails.
modes: [extract]
capabilities:
  discover: false
configSchema:
  type: object
  properties:
    ms: { type: integer }
    fail: { type: boolean, default: false }
  additionalProperties: false
`;
const SLEEP_DRIVER = `export const driver = {
  async run(ctx) {
    await new Promise((r) => setTimeout(r, ctx.config.ms ?? 0));
    if (ctx.config.fail) throw new Error('failing on purpose');
    await ctx.duck.run('CREATE TABLE ' + ctx.outputTable + ' AS SELECT * FROM range(3) t(i)');
    return { rowsOut: 3, rowsRead: 3 };
  },
};
`;
const pipeline = (name: string, config: string, out: string) => `oml_version: "0.1.0"
name: ${name}
steps:
  - id: make
    component: fleet.sleep
    mode: read
    config: ${config}
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [make]
    config: { path: ${out} }
`;

interface Run {
  run_id: string;
  pipeline_slug: string;
  status: string;
  started_at: string;
}

describe.skipIf(why !== undefined)('fleet on BullMQ', () => {
  const fleet = new TestFleet();
  let project = '';
  const osiris = async (args: string[]) => {
    const res = await runCliAsync(args, { cwd: project, env: fleet.env(), timeoutMs: 40_000 });
    return {
      ...res,
      json: (() => {
        try {
          return JSON.parse(res.stdout);
        } catch {
          return undefined;
        }
      })(),
    };
  };
  const runs = async (): Promise<Run[]> =>
    (await osiris(['runs', 'list', '--json', '--limit', '0'])).json.runs as Run[];
  const events = (run: Run & { run_dir?: string }) =>
    readFileSync(join(project, run.run_dir ?? '', 'events.jsonl'), 'utf8');
  const until = async (what: () => boolean | Promise<boolean>, ms: number, label: string) => {
    const end = Date.now() + ms;
    while (!(await what())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    project = tempDir('osiris-fleet-');
    const write = (path: string, text: string) => {
      mkdirSync(join(project, path, '..'), { recursive: true });
      writeFileSync(join(project, path), text);
    };
    write('osiris.yaml', 'version: "1.0"\n');
    write('components/fleet.sleep/spec.yaml', SLEEP_SPEC);
    write('components/fleet.sleep/package.json', '{"type":"module"}\n');
    write('components/fleet.sleep/driver.js', SLEEP_DRIVER);
    write('pipelines/quick.yaml', pipeline('quick', '{ ms: 10 }', 'out/quick.csv'));
    write('pipelines/slow.yaml', pipeline('slow', '{ ms: 2500 }', 'out/slow.csv'));
    write('pipelines/failing.yaml', pipeline('failing', '{ ms: 10, fail: true }', 'out/failing.csv'));
    await Promise.all([fleet.start('w1', project), fleet.start('w2', project)]);
  }, 30_000);

  afterAll(async () => {
    await fleet.cleanup();
  });

  it('a detached run: its id at once; logs show follows it; runs list lists it; fleet status', async () => {
    const queued = await osiris(['run', 'pipelines/quick.yaml', '--target', 'queue', '--detach', '--json']);
    expect(queued.code, queued.stderr).toBe(0);
    const runId = queued.json.run_id as string;
    expect(queued.json.status).toBe('queued');
    const shown = await osiris(['logs', 'show', runId, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json.status.status).toBe('succeeded');
    expect(shown.json.events.map((e: { event: string }) => e.event)).toContain('run_complete');
    // The writer's file came back to the submitting project, as after a live run.
    expect(readFileSync(join(project, 'out/quick.csv'), 'utf8')).toBe('i\n0\n1\n2\n');
    const list = await runs();
    expect(list.find((r) => r.run_id === runId)?.status).toBe('succeeded');
    expect(existsSync(join(project, 'aiop'))).toBe(true);

    const status = await osiris(['fleet', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const fleetDoc = status.json.fleet;
    expect(fleetDoc.workers.map((w: { name: string }) => w.name).sort()).toEqual(['w1', 'w2']);
    expect(fleetDoc.workers.every((w: { alive: boolean }) => w.alive)).toBe(true);
    expect(fleetDoc.workers.reduce((n: number, w: { done: number }) => n + w.done, 0)).toBeGreaterThanOrEqual(
      1,
    );
    expect(fleetDoc.jobs).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
  });

  it('a worker killed mid-run: BullMQ re-runs the job on another worker and the run succeeds', async () => {
    const started = (w: (typeof fleet.workers)[number]) => w.log().split('(run) started').length;
    const before = new Map(fleet.workers.map((w) => [w.name, started(w)]));
    const submit = spawnCli(['run', 'pipelines/slow.yaml', '--target', 'queue', '--json'], {
      cwd: project,
      env: fleet.env(),
      timeoutMs: 40_000,
    });
    let victim: (typeof fleet.workers)[number] | undefined;
    await until(
      () => {
        victim = fleet.workers.find((w) => started(w) > (before.get(w.name) ?? 0));
        return victim !== undefined;
      },
      10_000,
      'a worker to take the run',
    );
    await new Promise((r) => setTimeout(r, 500));
    victim?.child.kill('SIGKILL');
    const res = await submit.done;
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout);
    expect(doc.status).toBe('succeeded');
    const run = (await runs()).find((r) => r.run_id === doc.run_id) as Run;
    const retry = events(run)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.event === 'worker_retry');
    expect(retry).toMatchObject({ previous_worker: victim?.name });
    expect(retry.worker).not.toBe(victim?.name);
    expect(readFileSync(join(project, 'out/slow.csv'), 'utf8')).toBe('i\n0\n1\n2\n');
  });

  it('SIGTERM: the worker finishes its current run, then exits', async () => {
    const w3 = await fleet.start('w3', project);
    // Only w3 is idle-free of other work: the others may take it too, so stop whichever took it.
    const queued = await osiris(['run', 'pipelines/slow.yaml', '--target', 'queue', '--detach', '--json']);
    const runId = queued.json.run_id as string;
    let taker: (typeof fleet.workers)[number] | undefined;
    await until(
      () => {
        taker = fleet.workers.find(
          (w) =>
            w.child.exitCode === null &&
            w.child.signalCode === null &&
            w.log().includes(`job ${runId} (run) started`),
        );
        return taker !== undefined;
      },
      10_000,
      'a worker to take the detached run',
    );
    const during = (await osiris(['fleet', 'status', '--json'])).json.fleet;
    const shownWorker = during.workers.find((w: { name: string }) => w.name === taker?.name);
    expect(shownWorker.current).toBe(runId);
    expect(during.jobs.active).toBeGreaterThanOrEqual(1);
    taker?.child.kill('SIGTERM');
    const exit = await taker?.exited;
    expect(exit?.code).toBe(0);
    expect(taker?.log()).toContain(`job ${runId} (run) done`);
    const shown = await osiris(['logs', 'show', runId, '--json']);
    expect(shown.json.status.status).toBe('succeeded');
    expect(shown.json.events.map((e: { event: string }) => e.event)).not.toContain('worker_retry');
    void w3;
  });

  it('two schedules fire every second; a failing one never blocks the other', async () => {
    const alive = fleet.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    expect(alive.length).toBeGreaterThan(0);
    const okAdd = await osiris([
      'schedule',
      'add',
      'pipelines/quick.yaml',
      '--cron',
      '* * * * * *',
      '--name',
      'every-ok',
      '--json',
    ]);
    expect(okAdd.code, okAdd.stderr).toBe(0);
    const badAdd = await osiris([
      'schedule',
      'add',
      'pipelines/failing.yaml',
      '--cron',
      '* * * * * *',
      '--name',
      'every-bad',
      '--json',
    ]);
    expect(badAdd.code, badAdd.stderr).toBe(0);
    const listed = await osiris(['schedule', 'list', '--json']);
    expect(listed.json.schedules.map((s: { name: string }) => s.name).sort()).toEqual([
      'every-bad',
      'every-ok',
    ]);
    await new Promise((r) => setTimeout(r, 3500));
    for (const name of ['every-ok', 'every-bad'])
      expect((await osiris(['schedule', 'remove', name])).code).toBe(0);
    expect((await osiris(['schedule', 'list', '--json'])).json.schedules).toEqual([]);
    // Let what was queued finish, then sync it into the run records.
    await until(
      async () => {
        const s = (await osiris(['fleet', 'status', '--json'])).json.fleet.jobs;
        return s.waiting + s.active + s.delayed === 0;
      },
      15_000,
      'the scheduled runs to finish',
    );
    const all = await runs();
    const ok = all.filter((r) => r.pipeline_slug === 'quick' && r.status === 'succeeded');
    const bad = all.filter((r) => r.pipeline_slug === 'failing');
    expect(bad.length).toBeGreaterThanOrEqual(2);
    expect(bad.every((r) => r.status === 'failed')).toBe(true);
    // Successful runs of the other schedule after the first failure: the failure blocked nothing.
    const firstFail = Math.min(...bad.map((r) => Date.parse(r.started_at)));
    expect(ok.filter((r) => Date.parse(r.started_at) > firstFail).length).toBeGreaterThanOrEqual(1);
    expect(bad.filter((r) => Date.parse(r.started_at) > firstFail).length).toBeGreaterThanOrEqual(1);
  });

  it('usage errors: --detach needs the queue target; no queue configured', async () => {
    const res = await osiris(['run', 'pipelines/quick.yaml', '--detach', '--target', 'local', '--json']);
    expect(res.code).toBe(2);
    expect(res.json.error.code).toBe('queue.needs_queue_target');
    const none = await runCliAsync(['fleet', 'status', '--json'], { cwd: project });
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stdout).error.code).toBe('queue.not_configured');
  });
});
