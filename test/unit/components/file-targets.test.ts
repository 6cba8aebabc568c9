/**
 * File targets under faults: a read-only file is refused (root too), a replaced file keeps its mode, a
 * symlinked target is written through the link, and a target locked by another writer makes the step wait,
 * then either go on or fail with write.lock_timeout naming the holder.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driver as csvWriter } from '../../../src/components/filesystem.csv_writer/driver.js';
import { driver as jsonWriter } from '../../../src/components/filesystem.json_writer/driver.js';
import type { StepError } from '../../../src/runtime/driver.js';
import { lockFile, lockPaths } from '../../../src/util/file-lock.js';
import { OSIRIS_BIN, tempDir } from '../../helpers/cli.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';

let t: TestPlane;
beforeAll(async () => {
  t = await openTestPlane('osiris-file-targets-');
  await t.plane.connection.run('CREATE TABLE src AS SELECT i AS id FROM range(3) r(i)');
  mkdirSync(join(t.dir, 'out'), { recursive: true });
});
afterAll(() => t.close());

const path = (rel: string) => join(t.dir, rel);
const read = (rel: string) => readFileSync(path(rel), 'utf8');
const mode = (rel: string) => statSync(path(rel)).mode & 0o777;
const leftovers = (rel: string) => readdirSync(path(rel)).filter((f) => f.startsWith('.'));
const write = (config: Record<string, string>, options: { lockTimeoutMs?: number } = {}) =>
  t.runStep(csvWriter, 'w', config, { needs: ['src'], ...options });

describe('read-only and mode', () => {
  it('refuses to replace or append to a 0444 file, also as root, and leaves it as it was', async () => {
    writeFileSync(path('out/ro.csv'), 'id\n9\n');
    chmodSync(path('out/ro.csv'), 0o444);
    for (const write_mode of ['overwrite', 'append']) {
      const error = (await write({ path: 'out/ro.csv', write_mode }).catch((e) => e)) as StepError;
      expect(error.code).toBe('write.permission_denied');
      expect(error.message).toContain('out/ro.csv');
      expect(error.message).toContain('read-only (mode 0444)');
      expect(error.hint).toContain('chmod u+w');
    }
    expect(read('out/ro.csv')).toBe('id\n9\n');
    expect(mode('out/ro.csv')).toBe(0o444);
    expect(leftovers('out')).toEqual([]);
  });

  it('keeps the mode of the file it replaces or appends to', async () => {
    writeFileSync(path('out/kept.csv'), 'id\n9\n');
    chmodSync(path('out/kept.csv'), 0o640);
    await write({ path: 'out/kept.csv' });
    expect(mode('out/kept.csv')).toBe(0o640);
    await write({ path: 'out/kept.csv', write_mode: 'append' });
    expect(read('out/kept.csv')).toBe('id\n0\n1\n2\n0\n1\n2\n');
    expect(mode('out/kept.csv')).toBe(0o640);
  });

  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const canDropRoot =
    process.getuid?.() === 0 &&
    nobody.status === 0 &&
    existsSync('/usr/sbin/runuser') &&
    existsSync(OSIRIS_BIN) &&
    // This Node binary must be reachable by nobody (not the case under a private 0700 folder).
    spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', '0']).status === 0;
  if (!canDropRoot)
    console.warn(
      'skipped: the non-root case needs root, a `nobody` user, runuser and a Node binary nobody may run',
    );
  it.skipIf(!canDropRoot)('refuses a 0444 file as its non-root owner too (osiris run as nobody)', () => {
    const dir = tempDir('osiris-nobody-');
    chmodSync(dir, 0o755);
    writeFileSync(
      join(dir, 'p.yaml'),
      [
        'oml_version: "0.1.0"',
        'name: ro',
        'steps:',
        '  - id: gen',
        '    component: duckdb.processor',
        '    mode: transform',
        '    config: {query: "SELECT 1 AS id"}',
        '  - id: out',
        '    component: filesystem.csv_writer',
        '    mode: write',
        '    needs: [gen]',
        '    config: {path: ro.csv}',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'ro.csv'), 'id\n9\n');
    chmodSync(join(dir, 'ro.csv'), 0o444);
    const uid = Number(nobody.stdout.trim());
    for (const f of ['', 'p.yaml', 'ro.csv']) chownSync(join(dir, f), uid, uid);
    // As owner of the folder, nobody could rename a new file over ro.csv: only the writer's check stops it.
    const run = spawnSync(
      'runuser',
      ['-u', 'nobody', '--', process.execPath, OSIRIS_BIN, 'run', 'p.yaml', '--json'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir }, timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe('write.permission_denied');
    expect(readFileSync(join(dir, 'ro.csv'), 'utf8')).toBe('id\n9\n');
    expect(statSync(join(dir, 'ro.csv')).mode & 0o777).toBe(0o444);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('symlinked targets', () => {
  it('writes through the link, beside the real file, and keeps the link', async () => {
    mkdirSync(path('real'), { recursive: true });
    writeFileSync(path('real/data.csv'), 'id\n9\n');
    symlinkSync(path('real/data.csv'), path('out/link.csv'));
    await write({ path: 'out/link.csv', write_mode: 'append' });
    expect(lstatSync(path('out/link.csv')).isSymbolicLink()).toBe(true);
    expect(read('real/data.csv')).toBe('id\n9\n0\n1\n2\n');
    await write({ path: 'out/link.csv' });
    expect(lstatSync(path('out/link.csv')).isSymbolicLink()).toBe(true);
    expect(read('real/data.csv')).toBe('id\n0\n1\n2\n');
    expect(leftovers('out')).toEqual([]);
    expect(leftovers('real')).toEqual([]);
  });

  it('creates the file a dangling link (relative) points at', async () => {
    symlinkSync('../real/new.csv', path('out/dangling.csv'));
    await write({ path: 'out/dangling.csv' });
    expect(readlinkSync(path('out/dangling.csv'))).toBe('../real/new.csv');
    expect(read('real/new.csv')).toBe('id\n0\n1\n2\n');
  });
});

describe('the target lock', () => {
  it('waits while another writer holds the file, then appends after it', async () => {
    writeFileSync(path('out/shared.jsonl'), '{"id":9}\n');
    const held = await lockFile(path('out/shared.jsonl'), { timeoutMs: 0, purpose: 'the test' });
    let finished = false;
    const run = t
      .runStep(jsonWriter, 'j', { path: 'out/shared.jsonl', write_mode: 'append' }, { needs: ['src'] })
      .then(() => {
        finished = true;
      });
    await new Promise((r) => setTimeout(r, 800));
    expect(finished).toBe(false); // without the lock the append would be done by now
    const waiting = t.recorded.get('j')?.events.find((e) => e.event === 'write.waiting');
    expect(String(waiting?.data?.reason)).toContain(`held by pid ${process.pid}`);
    expect(read('out/shared.jsonl')).toBe('{"id":9}\n');
    await held.release();
    await run;
    expect(read('out/shared.jsonl')).toBe('{"id":9}\n{"id":0}\n{"id":1}\n{"id":2}\n');
    expect(existsSync(lockPaths(path('out/shared.jsonl')).dir)).toBe(false);
  });

  it('gives up after the lock timeout with write.lock_timeout naming the file and the holder', async () => {
    writeFileSync(path('out/busy.csv'), 'id\n9\n');
    const held = await lockFile(path('out/busy.csv'), { timeoutMs: 0, purpose: "step 'other'" });
    try {
      const error = (await write(
        { path: 'out/busy.csv', write_mode: 'append' },
        { lockTimeoutMs: 300 },
      ).catch((e) => e)) as StepError;
      expect(error.code).toBe('write.lock_timeout');
      expect(error.message).toContain('out/busy.csv is being written by another run');
      expect(error.message).toContain(`held by pid ${process.pid}`);
      expect(error.message).toContain("step 'other'");
      expect(error.hint).toContain('runtime.lock_timeout');
    } finally {
      await held.release();
    }
    expect(read('out/busy.csv')).toBe('id\n9\n');
    expect(leftovers('out')).toEqual([]);
  });

  it('releases the lock when the write fails under it', async () => {
    writeFileSync(path('out/other-header.csv'), 'name\nx\n');
    const error = (await write({ path: 'out/other-header.csv', write_mode: 'append' }).catch(
      (e) => e,
    )) as StepError;
    expect(error.code).toBe('write.schema_mismatch');
    expect(leftovers('out')).toEqual([]); // no .other-header.csv.lock left behind
    await write({ path: 'out/other-header.csv' }, { lockTimeoutMs: 0 }); // free at once
    expect(read('out/other-header.csv')).toBe('id\n0\n1\n2\n');
  });

  it('a run cancelled (SIGINT) while waiting stops at once and leaves the holder its lock', async () => {
    writeFileSync(path('out/cancel.csv'), 'id\n9\n');
    const held = await lockFile(path('out/cancel.csv'), { timeoutMs: 0, purpose: 'the test' });
    try {
      const controller = new AbortController();
      const pending = t.runStep(
        csvWriter,
        'c',
        { path: 'out/cancel.csv', write_mode: 'append' },
        { needs: ['src'], signal: controller.signal },
      );
      setTimeout(() => controller.abort(), 300);
      const error = (await pending.catch((e) => e)) as StepError;
      expect(error.code).toBe('runtime.cancelled');
      held.assertHeld();
      expect(existsSync(lockPaths(path('out/cancel.csv')).dir)).toBe(true);
    } finally {
      await held.release();
    }
    expect(read('out/cancel.csv')).toBe('id\n9\n');
    expect(leftovers('out')).toEqual([]);
  });

  it('two appends started together both land (in one process, interleaving at every await)', async () => {
    writeFileSync(path('out/both.csv'), 'id\n');
    await Promise.all([
      write({ path: 'out/both.csv', write_mode: 'append' }),
      write({ path: 'out/both.csv', write_mode: 'append' }),
      write({ path: 'out/both.csv', write_mode: 'append' }),
    ]);
    expect(read('out/both.csv').trim().split('\n')).toHaveLength(1 + 9);
  });
});
