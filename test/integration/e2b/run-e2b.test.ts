/**
 * `osiris run --target e2b` end to end: the built CLI, the official e2b SDK, and the local E2B emulator
 * (test/helpers/e2b-emulator) running each sandbox as its own process and folder. Checks the key handling,
 * a successful run (outputs, badge, sandbox id, sandbox closed, sandbox env exactly as asked), the three faults
 * (sandbox dies, stream stalls, upload refused: failed run, clear message, target unchanged, sandbox killed)
 * and that a canary secret reaches neither a host artefact nor the sandbox's folder.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCliAsync, spawnCli, tempDir } from '../../helpers/cli.js';
import { POSTGRES, postgresUnavailable } from '../../helpers/databases.js';
import { type E2bEmulator, startE2bEmulator } from '../../helpers/e2b-emulator/index.js';
import { osirisTemplate } from '../../helpers/e2b-emulator/template.js';

interface RunJson {
  ok: boolean;
  status: string;
  run_dir: string;
  error?: { code: string; message: string; hint?: string };
}

const CANARY = `osiris-canary-${randomBytes(8).toString('hex')}`;
let emu: E2bEmulator;
let project: string;

beforeAll(async () => {
  emu = await startE2bEmulator({ templates: { osiris: osirisTemplate, base: () => undefined } });
});
afterAll(() => emu.close());

function write(rel: string, text: string): void {
  mkdirSync(join(project, rel, '..'), { recursive: true });
  writeFileSync(join(project, rel), text);
}

const PIPELINE = `oml_version: "0.1.0"
name: e2b-people
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/people.csv
  - id: top
    component: duckdb.processor
    mode: transform
    needs: [extract]
    config:
      query: SELECT name, score FROM input_df WHERE score > 7.5 ORDER BY score DESC
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [top]
    config:
      path: out/top.csv
`;

beforeEach(() => {
  project = tempDir('osiris-e2b-run-');
  write('data/people.csv', 'id,name,score\n1,Ada,9.5\n2,Grace,8.25\n3,Linus,7\n');
  write('pipeline.yaml', PIPELINE);
  write('out/top.csv', 'previous contents\n');
});

async function runE2b(args: string[], env: Record<string, string> = {}) {
  const r = await runCliAsync(
    ['run', 'pipeline.yaml', '--target', 'e2b', '--e2b-template', 'osiris', ...args, '--json'],
    {
      cwd: project,
      env: { ...emu.env(), OSIRIS_CANARY_SECRET: CANARY, ...env },
      timeoutMs: 90_000,
    },
  );
  let json: RunJson | undefined;
  try {
    json = JSON.parse(r.stdout) as RunJson;
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

function events(runDir: string): Array<Record<string, unknown>> {
  return readFileSync(join(runDir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const topCsv = () => readFileSync(join(project, 'out/top.csv'), 'utf8');

describe('osiris run --target e2b: the API key', () => {
  it('without E2B_API_KEY: exit 2 naming the variable and where to get a key, no sandbox', async () => {
    const before = emu.sandboxes.length;
    const r = await runE2b([], { E2B_API_KEY: '' });
    expect(r.code).toBe(2);
    expect(r.json?.error?.code).toBe('E2B001');
    expect(r.json?.error?.message).toMatch(/E2B_API_KEY/);
    expect(r.json?.error?.hint).toMatch(/e2b\.dev\/dashboard/);
    expect(emu.sandboxes.length).toBe(before);
    expect(topCsv()).toBe('previous contents\n');
  });

  it('a wrong key is rejected by the API (401): exit 2 before the run starts, no sandbox', async () => {
    const before = emu.sandboxes.length;
    const r = await runE2b([], { E2B_API_KEY: 'e2b_wrong' });
    expect(r.code).toBe(2);
    expect(r.json?.error?.code).toBe('E2B010');
    expect(r.json?.error?.message).toMatch(/Invalid API key/);
    expect(emu.sandboxes.length).toBe(before);
    expect(topCsv()).toBe('previous contents\n');
    expect(existsSync(join(project, 'run_logs'))).toBe(false);
  });
});

describe('osiris run --target e2b: a run', () => {
  it('runs in a sandbox, records it, closes it, and gives it only the env asked for', async () => {
    const r = await runE2b([
      '--timeout',
      '120',
      '--e2b-env',
      'TZ=UTC',
      '--e2b-pass-env',
      'OSIRIS_CANARY_SECRET',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(topCsv()).toBe('name,score\nAda,9.50\nGrace,8.25\n');
    const sandbox = emu.sandboxes.at(-1)!;
    expect(sandbox.killedBy).toBe('api');
    // Only what was passed explicitly: --e2b-env and --e2b-pass-env, not E2B_API_KEY nor other *_KEY names.
    expect(sandbox.envVars).toEqual({ TZ: 'UTC', OSIRIS_CANARY_SECRET: CANARY });
    const start = events(r.json!.run_dir).find((e) => e.event === 'run_start');
    expect(start).toMatchObject({ adapter: 'e2b', worker_id: `e2b sandbox ${sandbox.id}` });
    // The worker ran in the sandbox's own folder, and the package was unpacked there.
    expect(existsSync(join(sandbox.folder, 'home', 'osiris', 'dist', 'cli', 'main.js'))).toBe(true);
    expect(emu.calls).toContain(`DELETE /sandboxes/${sandbox.id}`);
    // The HTML report shows the badge and the sandbox.
    const html = await runCliAsync(['logs', 'html', '--out', 'report.html'], { cwd: project });
    expect(html.code, html.stderr).toBe(0);
    const page = readFileSync(join(project, 'report.html'), 'utf8');
    expect(page).toContain('class="badge env env-e2b"');
    expect(page).toContain(`e2b sandbox ${sandbox.id}`);
  });

  it('--cpu above what the template provides: a failed run saying how to build a bigger one; sandbox closed', async () => {
    const r = await runE2b(['--cpu', '64', '--memory-gb', '0.5']);
    expect(r.code).toBe(1);
    expect(r.json?.status).toBe('failed');
    expect(r.json?.error?.message).toMatch(
      /template 'osiris' provides only 2 vCPU \(--cpu 64\);.*template build --cpu-count/,
    );
    expect(emu.sandboxes.at(-1)?.killedBy).toBe('api');
    expect(topCsv()).toBe('previous contents\n');
  });
});

describe('osiris run --target e2b: a template without the dependencies', () => {
  it('fails the run saying to pass --e2b-install-deps or build a template; sandbox closed', async () => {
    const r = await runE2b(['--e2b-template', 'base']);
    expect(r.code).toBe(1);
    expect(r.json?.error?.message).toMatch(
      /template 'base' has no ~\/osiris\/node_modules: pass --e2b-install-deps/,
    );
    expect(emu.sandboxes.at(-1)?.killedBy).toBe('api');
    expect(topCsv()).toBe('previous contents\n');
  });
});

describe('osiris run --target e2b: faults end as failed runs, targets unchanged, sandbox gone', () => {
  it('the sandbox dies mid-run', async () => {
    emu.armFault({ kind: 'die', afterStdout: '"name":"step_start"' });
    const r = await runE2b([]);
    expect(r.code).toBe(1);
    expect(r.json?.status).toBe('failed');
    expect(r.json?.error?.message).toMatch(/E2B sandbox \S+ stopped answering/);
    expect(topCsv()).toBe('previous contents\n');
    expect(emu.sandboxes.at(-1)?.killedBy).toBeDefined();
  });

  it('the stream stalls', async () => {
    emu.armFault({ kind: 'stall', afterStdout: '"name":"step_start"' });
    const r = await runE2b([], { OSIRIS_E2B_STALL_SECONDS: '3' });
    expect(r.code).toBe(1);
    expect(r.json?.error?.message).toMatch(/no output and no heartbeat .* for 3 s: the stream stalled/);
    expect(topCsv()).toBe('previous contents\n');
    expect(emu.sandboxes.at(-1)?.killedBy).toBe('api');
  });

  it('the upload is refused', async () => {
    emu.armFault({ kind: 'upload' });
    const r = await runE2b([]);
    expect(r.code).toBe(1);
    expect(r.json?.error?.message).toMatch(/could not upload the Osiris package .* not enough disk space/);
    expect(topCsv()).toBe('previous contents\n');
    expect(emu.sandboxes.at(-1)?.killedBy).toBe('api');
  });
});

describe('osiris run --target e2b: the sandbox goes on Ctrl-C and on timeout', () => {
  it('Ctrl-C while the sandbox starts: cancelled (130), sandbox killed, target unchanged', async () => {
    const before = emu.sandboxes.length;
    const { child, done } = spawnCli(
      ['run', 'pipeline.yaml', '--target', 'e2b', '--e2b-template', 'osiris'],
      {
        cwd: project,
        env: emu.env(),
        timeoutMs: 60_000,
      },
    );
    await expect.poll(() => emu.sandboxes.length, { timeout: 30_000, interval: 20 }).toBe(before + 1);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(emu.sandboxes.at(-1)?.killedBy).toBe('api');
    expect(topCsv()).toBe('previous contents\n');
  });

  it('--timeout: E2B ends the sandbox, the run fails saying so', async () => {
    emu.armFault({ kind: 'stall', afterStdout: '"name":"step_start"' });
    const r = await runE2b(['--timeout', '4']);
    expect(r.code).toBe(1);
    expect(r.json?.error?.message).toMatch(/the run reached --timeout 4 s, and E2B ended the sandbox/);
    expect(emu.sandboxes.at(-1)?.killedBy).toBeDefined();
    expect(topCsv()).toBe('previous contents\n');
  });
});

/** Every file under `dir` (not following symlinks: the template's node_modules link is not the sandbox's). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile() && statSync(path).size < 50_000_000) out.push(path);
  }
  return out;
}

const pgMissing = await postgresUnavailable();
describe.skipIf(pgMissing !== undefined)('osiris run --target e2b: secrets', () => {
  it('a connection password reaches the worker only over the protocol: not on disk, not in the sandbox', async () => {
    write('osiris.yaml', 'version: "2.0"\n');
    write(
      'osiris_connections.yaml',
      `version: "1.0"\nconnections:\n  postgres:\n    db:\n      host: ${POSTGRES.host}\n      port: ${POSTGRES.port}\n      database: ${POSTGRES.database}\n      user: ${POSTGRES.user}\n      password: \${OSIRIS_CANARY_SECRET}\n`,
    );
    write(
      'pipeline.yaml',
      `oml_version: "0.1.0"\nname: e2b-canary\nsteps:\n  - id: read\n    component: postgres.extractor\n    mode: read\n    config:\n      connection: "@postgres.db"\n      query: SELECT 1 AS one\n  - id: write\n    component: filesystem.csv_writer\n    mode: write\n    needs: [read]\n    config:\n      path: out/top.csv\n`,
    );
    const r = await runE2b([]);
    expect(r.code, r.stderr).toBe(0);
    expect(topCsv()).toBe('one\n1\n');
    const sandbox = emu.sandboxes.at(-1)!;
    expect(sandbox.envVars).toEqual({});
    expect(`${r.stdout}${r.stderr}`).not.toContain(CANARY);
    const leaks = [...filesUnder(project), ...filesUnder(sandbox.folder)].filter(
      (f) => !f.endsWith('osiris_connections.yaml') && readFileSync(f).includes(CANARY),
    );
    expect(leaks).toEqual([]);
  });
});
