/**
 * Every shell block (```bash, ```sh) in README.md, CONTRIBUTING.md, docs/**.md and examples/**.md is run as
 * written, against the local PostgreSQL and MariaDB, in a throwaway copy of the repository (so a run leaves
 * nothing behind in the clone). New blocks are picked up automatically.
 *
 * How a page runs, like a reader typing it into one terminal:
 * - one bash session per page (`set -euo pipefail`), blocks in order, so `cd` and `export` carry over; a
 *   block whose first command is `cd <path>` is written for a reader at the root of the clone and starts
 *   there;
 * - a block fenced with `file=<path>` is written to that file (relative to where the page's shell is), one
 *   fenced with `file=<path> check` must equal the file at that point;
 * - `osiris` is installed as README's Install says (`npm install -g .` in the copy) before any page runs,
 *   with npm's global prefix in the temp folder; `ignore-scripts` spares the copy a rebuild of dist/
 *   (already built by the test run);
 * - the environment points the examples at this test's own MySQL database and Postgres schema
 *   (`MYSQL_DATABASE`, `PG_SCHEMA`), which the test creates and drops;
 * - the chat commands talk to a scripted fake OpenAI server (test/helpers/fake-llm.ts) that answers every
 *   request with a short text: they run as printed, while test/e2e/chat-*.test.ts check what the agent does;
 * - the commands in SKIP below, and only those, are replaced by `:` (with the reason).
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, REPO_ROOT, tempDir } from '../helpers/cli.js';
import { MYSQL, mysqlUnavailable, POSTGRES, postgresUnavailable, uniqueName } from '../helpers/databases.js';
import { type FakeLlmServer, startFakeLlm } from '../helpers/fake-llm.js';

/** Commands a test cannot run as written, each with the reason. Keep this list short. */
const SKIP: ReadonlyArray<{ command: RegExp; why: string }> = [
  {
    command: /^npm ci\b/,
    why: 'the test run installed the dependencies already; another npm ci would replace node_modules under the running tests',
  },
  { command: /^npm test\b/, why: 'the suite this test is part of' },
  {
    command: /^export \w+_API_KEY=/,
    why: 'a real provider key: the test sets OPENAI_API_KEY for its fake LLM server instead',
  },
  {
    command: /^osiris chat --session <id>/,
    why: 'the id of a session a real model opened; test/e2e/chat-scenarios.test.ts (b) approves a proposal by its id',
  },
];

/** The LLM: a scripted fake OpenAI server on 127.0.0.1 that answers every request with a short text. */
const FAKE_KEY = 'sk-docs-test-fake';
const LLM_VARIABLES = /^(OPENAI|ANTHROPIC|GOOGLE_GENERATIVE_AI|GEMINI)_API_KEY$|^OSIRIS_LLM_/;

interface Block {
  file: string;
  line: number;
  lang: string;
  attrs: string;
  body: string;
}

/** The pages to run: README.md first, then the rest in path order. */
function pages(): string[] {
  const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f && existsSync(join(REPO_ROOT, f)))
    .filter((f) => /^(README|CONTRIBUTING)\.md$|^(docs|examples)\//.test(f));
  return ['README.md', ...tracked.filter((f) => f !== 'README.md').sort()];
}

function blocks(file: string): Block[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  return [...text.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```/gm)].map((m) => ({
    file,
    line: text.slice(0, m.index).split('\n').length,
    lang: m[1] as string,
    attrs: (m[2] as string).trim(),
    body: m[3] as string,
  }));
}

const isShell = (b: Block) => b.lang === 'bash' || b.lang === 'sh';

/** Logical command lines of a shell block (backslash continuations joined). */
function commands(body: string): string[] {
  return body
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

function heredoc(body: string): string {
  return `<<'OSIRIS_DOC_EOF'\n${body}OSIRIS_DOC_EOF`;
}

/** The bash script for one page, and the commands it skipped. */
function pageScript(file: string): { script: string; skipped: string[]; runs: boolean } {
  const lines = ['set -euo pipefail', 'cd "$DOC_ROOT"'];
  const skipped: string[] = [];
  let runs = false;
  for (const block of blocks(file)) {
    const target = /(?:^|\s)file=(\S+)/.exec(block.attrs)?.[1];
    const where = `${file}:${block.line}`;
    if (target && /(?:^|\s)check(?:\s|$)/.test(block.attrs)) {
      lines.push(`echo "::check ${where}" >&2`, `diff -u - ${JSON.stringify(target)} ${heredoc(block.body)}`);
      continue;
    }
    if (target) {
      const path = JSON.stringify(target);
      lines.push(`mkdir -p "$(dirname ${path})"`, `cat > ${path} ${heredoc(block.body)}`);
      continue;
    }
    if (!isShell(block)) continue;
    runs = true;
    lines.push(`echo "::block ${where}" >&2`);
    const cmds = commands(block.body);
    if (/^\s*cd\s/.test(cmds.find((c) => !c.trim().startsWith('#')) ?? '')) lines.push('cd "$DOC_ROOT"');
    for (const command of cmds) {
      const skip = SKIP.find((s) => s.command.test(command.trim()));
      if (skip) {
        skipped.push(`${where}: ${command.trim()}`);
        lines.push(`: skipped: ${JSON.stringify(command.trim())}`);
      } else lines.push(command);
    }
  }
  return { script: `${lines.join('\n')}\n`, skipped, runs };
}

/** A copy of the repository's files (tracked and new, not ignored), sharing node_modules and dist/. */
function copyRepository(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && existsSync(join(REPO_ROOT, f)));
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(to, file));
  }
  for (const shared of ['node_modules', 'dist']) symlinkSync(join(REPO_ROOT, shared), join(to, shared));
}

/** Runs a page's script without blocking this process, which serves the fake LLM the chat commands call. */
function runScript(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const why = (await mysqlUnavailable()) ?? (await postgresUnavailable());

describe.skipIf(why !== undefined)('every command block in the docs', () => {
  const root = tempDir('osiris-docs-');
  const clone = join(root, 'osiris');
  const prefix = join(root, 'npm-global');
  const database = uniqueName('osiris_docs');
  const schema = uniqueName('osiris_docs');
  let env: NodeJS.ProcessEnv;
  let llm: FakeLlmServer;

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
    copyRepository(clone);
    const admin = new pg.Client({ ...POSTGRES });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.end();
    llm = await startFakeLlm({ turns: [], apiKey: FAKE_KEY });
    llm.push(
      ...Array.from({ length: 50 }, () => ({ text: 'Scripted test model: no tools, just this reply.' })),
    );
    const inherited = Object.entries(process.env).filter(
      ([k]) => !/^npm_/i.test(k) && !LLM_VARIABLES.test(k),
    );
    env = {
      ...Object.fromEntries(inherited),
      DOC_ROOT: clone,
      PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
      npm_config_prefix: prefix,
      npm_config_ignore_scripts: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      NO_COLOR: '1',
      MYSQL_DATABASE: database,
      PG_SCHEMA: schema,
      OPENAI_API_KEY: FAKE_KEY,
      OSIRIS_LLM_BASE_URL: llm.baseUrl,
    };
    // README's Install, so that each page also runs on its own (vitest -t): `osiris` on PATH.
    execFileSync('npm', ['install', '-g', '.'], { cwd: clone, env, stdio: 'pipe' });
  });

  afterAll(async () => {
    await llm?.close();
    const my = await mysql.createConnection({ ...MYSQL });
    await my.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await my.end();
    const admin = new pg.Client({ ...POSTGRES });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('runs commands as printed: no placeholders, and every SKIP entry still matches a command', () => {
    const all = pages().flatMap((file) =>
      blocks(file)
        .filter(isShell)
        .flatMap((b) => commands(b.body).map((c) => ({ where: `${file}:${b.line}`, command: c.trim() }))),
    );
    const runnable = all.filter(
      (c) => !c.command.startsWith('#') && !SKIP.some((s) => s.command.test(c.command)),
    );
    const placeholders = runnable.filter((c) => /…|<[a-z][\w-]*>/.test(c.command.replace(/\s#.*$/, '')));
    expect(placeholders).toEqual([]);
    for (const skip of SKIP)
      expect(
        all.some((c) => skip.command.test(c.command)),
        String(skip.command),
      ).toBe(true);
    expect(pages()).toContain('docs/quickstart.md');
  });

  for (const file of pages().filter((f) => pageScript(f).runs)) {
    const { script } = pageScript(file);
    it(`${file} runs as written`, async () => {
      const asked = llm.requests.length;
      const r = await runScript(script, clone, env);
      const at = [...r.stderr.matchAll(/^::(?:block|check) (\S+)$/gm)].at(-1)?.[1];
      expect(
        r.code,
        `${file}: failed in the block at ${at}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`,
      ).toBe(0);
      // The chat commands that ran really reached the (fake) model.
      if (/^\s*osiris chat /m.test(script)) expect(llm.requests.length).toBeGreaterThan(asked);
    }, 300_000);
  }
});
