/**
 * postgres.writer killed mid-COPY through the built CLI: the write is one transaction with a TEMP staging
 * table, so the server rolls it back and drops the table; what stays is the run's scratch folder, where
 * the COPY slices are rendered. The next run of the pipeline marks the run abandoned and removes it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, spawnCli, tempDir } from '../../helpers/cli.js';
import { POSTGRES, postgresUnavailable } from '../../helpers/databases.js';
import { openPgFixture, type PgFixture } from './helpers.js';

const skip = await postgresUnavailable();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)('postgres.writer killed mid-write (CLI)', () => {
  let fx: PgFixture;
  let project: string;

  beforeAll(async () => {
    fx = await openPgFixture();
    await fx.exec(`CREATE TABLE ${fx.q('target')} (id bigint PRIMARY KEY, name text)`);
    await fx.exec(`INSERT INTO ${fx.q('target')} VALUES (1, 'before'), (2, 'before')`);
    project = tempDir('osiris-pg-lifecycle-');
    writeFileSync(join(project, 'osiris.yaml'), 'version: "2.0"\n');
    writeFileSync(
      join(project, 'osiris_connections.yaml'),
      `version: "1.0"\nconnections:\n  postgres:\n    main:\n      host: ${POSTGRES.host}\n      port: ${POSTGRES.port}\n      database: ${POSTGRES.database}\n      user: ${POSTGRES.user}\n      password: ""\n      schema: ${fx.schema}\n`,
    );
    writeFileSync(
      join(project, 'pipeline.yaml'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a pipeline param reference
      'oml_version: "0.1.0"\nname: pg-lifecycle\nparams:\n  rows: 10\nsteps:\n  - id: gen\n    component: duckdb.processor\n    mode: transform\n    config:\n      query: SELECT i AS id, \'name \' || i AS name FROM range(${params.rows}) t(i)\n  - id: load\n    component: postgres.writer\n    mode: write\n    needs: [gen]\n    config:\n      connection: "@postgres.main"\n      table: target\n      write_mode: replace\n      batch_size: 50000\n',
    );
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('leaves the target unchanged; the next run removes the scratch slices and marks it abandoned', {
    timeout: 120_000,
  }, async () => {
    const fingerprint = await fx.fingerprint('target');
    const base = join(project, 'run_logs', 'dev', 'pg-lifecycle');
    const run = spawnCli(['run', 'pipeline.yaml', '--param', 'rows=3000000'], { cwd: project });
    let scratch: string | undefined;
    const deadline = Date.now() + 60_000;
    while (!scratch && Date.now() < deadline) {
      const dirs = existsSync(base) ? readdirSync(base) : [];
      const s = dirs.length === 1 ? join(base, dirs[0] as string, 'scratch') : undefined;
      if (s && existsSync(s) && readdirSync(s).some((f) => f.startsWith('osiris-pgcopy-'))) scratch = s;
      else await sleep(20);
    }
    expect(scratch, 'COPY slices in the run scratch folder').toBeDefined();
    run.child.kill('SIGKILL');
    await run.done;
    const dir = join(scratch as string, '..');
    const runId = dir.split('/').pop() as string;
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status).toBe('running');
    expect(await fx.fingerprint('target')).toEqual(fingerprint);

    const next = runCli(['run', 'pipeline.yaml'], { cwd: project });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain(`run ${runId} was abandoned`);
    expect(existsSync(scratch as string)).toBe(false);
    const show = runCliJson<{ status: { status: string } }>(['logs', 'show', runId], { cwd: project });
    expect(show.json?.status.status).toBe('abandoned');
    expect((await fx.fingerprint('target')).count).toBe(10); // the next run itself wrote normally
  });
});
