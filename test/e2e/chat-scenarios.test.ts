/**
 * `osiris chat` end to end: the built CLI binary, one-shot with `--json`, in a project whose
 * `@mysql.movies` connection points at a real MariaDB database holding the movies demo dataset, and whose LLM
 * is the scripted fake provider (test/helpers/fake-llm.ts) speaking the real OpenAI / Anthropic wire protocols.
 * The fake "model" behaves like a model would: it calls the tools, and its later turns are functions of the
 * tool results it was sent, so every answer is derived from real data rather than hard-coded.
 *
 * Scenarios: a factual question answered from discovery + run_query; a pipeline proposed, approved by its
 * manifest hash in a second process and run (CSV compared cell by cell with an independent query); repair of an
 * unknown component and then of an unknown column (bind check against the discovered schema); a process
 * SIGKILLed mid-turn and resumed from its SQLite session; reject; the Anthropic protocol; the SQL:/FAST:
 * prefixes; pro-mode prompts; no provider configured. Last, a canary check: the planted connection password
 * and API keys appear in no file of any project (session databases included) and in no request body the
 * model received.
 *
 * Needs the built CLI (`npm run build`) and MariaDB on 127.0.0.1:3306 (skipped without it, except in CI).
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROMPTS } from '../../src/agent/prompts.js';
import { SessionStore } from '../../src/agent/store.js';
import { type CliResult, runCliAsync, spawnCli } from '../helpers/cli.js';
import { mysqlUnavailable } from '../helpers/databases.js';
import type { FakeRequest } from '../helpers/fake-llm.js';
import {
  allFiles,
  CANARIES,
  type ChatProject,
  createChatProject,
  createMoviesDb,
  extractToCsv,
  lastToolResult,
  type MoviesDb,
  type Provider,
  parseCsv,
  toolResults,
} from './chat-helpers.js';

interface TurnJson {
  ok: boolean;
  session_id: string;
  state: string;
  reply: string;
  proposal: {
    pipeline: string;
    manifest_hash: string;
    manifest_short: string;
    oml: string;
    oml_path: string;
    manifest_path: string;
  } | null;
  run: {
    run_id: string | null;
    status: string;
    outputs?: string[];
    run_dir?: string;
    report?: string;
    error?: string;
  } | null;
  error?: { code: string; message: string; hint?: string };
  diagnostics?: Array<{ severity: string; code: string; message: string; hint?: string }>;
}

const skip = await mysqlUnavailable();

let db: MoviesDb;
const projects: ChatProject[] = [];
const transcripts: Array<{ command: string } & CliResult> = [];
/** Releases turns scripted to hang (the crash scenario) so the fake servers can close. */
const releases: Array<() => void> = [];

async function project(
  provider: Provider = 'openai',
  options: { llm?: boolean; model?: string } = {},
): Promise<ChatProject> {
  const p = await createChatProject(db.name, provider, options);
  projects.push(p);
  return p;
}

/** `osiris <argv>` in the project, asynchronously (the fake server lives in this process); output recorded. */
async function osiris(p: ChatProject, argv: string[]): Promise<CliResult> {
  const result = await runCliAsync(argv, { cwd: p.dir, env: p.env, timeoutMs: 45_000 });
  transcripts.push({ command: `osiris ${argv.join(' ')}`, ...result });
  return result;
}

/** `osiris chat <args> --json`, its stdout parsed. */
async function chat(p: ChatProject, args: string[], json = true): Promise<CliResult & { json: TurnJson }> {
  const result = await osiris(p, ['chat', ...args, ...(json ? ['--json'] : [])]);
  let parsed: TurnJson;
  try {
    parsed = JSON.parse(result.stdout) as TurnJson;
  } catch {
    parsed = { ok: false } as TurnJson;
  }
  return { ...result, json: parsed };
}

/** `promise`, or a rejection with `message` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failure message with everything the CLI printed. */
const printed = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

function transitionsOf(p: ChatProject, sessionId: string): string[] {
  const store = SessionStore.resume(join(p.dir, '.osiris', 'sessions'), sessionId);
  try {
    return store.transitions().map((t) => t.to);
  } finally {
    store.close();
  }
}

/** Reads a CSV the pipeline wrote: header + rows. */
function readCsv(path: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  return { header: header ?? [], rows: rows.filter((r) => r.length > 1 || r[0] !== '') };
}

/** A MySQL value as the CSV writer spells it (NULL is an empty cell). */
const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));

const AVA_SQL =
  'SELECT d.name, d.birth_year, d.nationality, d.awards, m.title, m.release_year FROM directors d ' +
  "JOIN movies m ON m.director_id = d.director_id WHERE d.name = 'Ava DuVernay' ORDER BY m.release_year";

/** The answer a model would give from the run_query result it was sent (nothing hard-coded). */
function answerFromQuery(req: FakeRequest) {
  const [query] = toolResults(req, 'run_query');
  const result = query?.result as { rows?: Array<Record<string, unknown>> } | undefined;
  const rows = result?.rows ?? [];
  if (rows.length === 0) return { text: `I found nothing: ${query?.text ?? 'no run_query result'}` };
  const first = rows[0] as Record<string, unknown>;
  const titles = rows.map((r) => `${String(r.title)} (${String(r.release_year)})`);
  return {
    text:
      `${String(first.name)} was born in ${String(first.birth_year)} (${String(first.nationality)}, ` +
      `${String(first.awards)} awards) and directed ${titles.join(', ')}.`,
  };
}

/** discover → propose `oml` → a summary citing the manifest hash the tool returned. */
function proposeTurns(oml: string) {
  return [
    { toolCalls: [{ name: 'discover_schema', args: { connection: '@mysql.movies' } }] },
    { toolCalls: [{ name: 'propose_pipeline', args: { oml } }] },
    (req: FakeRequest) => {
      const r = lastToolResult(req);
      return {
        text:
          r.ok === true
            ? `Pipeline ${String(r.pipeline)} is ready (manifest ${String(r.manifest_hash).slice(0, 12)}). Type approve to run it.`
            : `The proposal failed: ${JSON.stringify(r)}`,
      };
    },
  ];
}

const TOP_SQL = 'SELECT movie_id, title, release_year, rating FROM movies WHERE rating > 8.0';

describe.skipIf(skip !== undefined)('osiris chat scenarios (CLI, MariaDB, fake LLM)', () => {
  beforeAll(async () => {
    db = await createMoviesDb('osiris_chat');
  });

  afterAll(async () => {
    for (const release of releases) release();
    for (const p of projects) await p.server.close();
    for (const p of projects) rmSync(p.dir, { recursive: true, force: true });
    await db?.drop();
  });

  it('(a) answers a question from the discovered schema and a read-only query', async () => {
    const p = await project();
    p.server.push(
      {
        text: 'Let me look at the schema first.',
        toolCalls: [{ name: 'discover_schema', args: { connection: '@mysql.movies' } }],
      },
      { toolCalls: [{ name: 'run_query', args: { connection: '@mysql.movies', sql: AVA_SQL } }] },
      answerFromQuery,
    );
    const r = await chat(p, ['Find the director Ava DuVernay']);
    // Texts of separate model steps are separate paragraphs, not run together.
    expect(r.json.reply).toMatch(/^Let me look at the schema first\.\n\n\S/);
    expect(r.code, printed(r)).toBe(0);
    expect(r.json.ok).toBe(true);
    expect(r.json.reply).toContain('1972');
    expect(r.json.reply).toContain('Selma');
    expect(r.json.proposal).toBeNull();
    expect(p.server.remaining()).toBe(0);

    // The films named are exactly the ones in the database.
    const expected = await db.rows(
      "SELECT m.title FROM movies m JOIN directors d USING (director_id) WHERE d.name = 'Ava DuVernay'",
    );
    for (const row of expected) expect(r.json.reply).toContain(String(row.title));

    // The model saw the schema: real column names in the discovery result, real rows in the query result.
    const [, second, third] = p.server.requests;
    const discovery = toolResults(second, 'discover_schema')[0]?.text ?? '';
    expect(discovery).toContain('birth_year');
    expect(discovery).toContain('director_id');
    expect(discovery).toContain('release_year');
    const query = toolResults(third, 'run_query')[0]?.result as { columns: unknown[]; rows: unknown[] };
    expect(query.rows).toHaveLength(expected.length);
    expect(JSON.stringify(query.columns)).toContain('birth_year');
    // Connections reach the model as references only.
    expect(p.server.requests[0]?.system).toContain('@mysql.movies (default)');

    const states = transitionsOf(p, r.json.session_id);
    expect(states).toContain('DISCOVERY');
    expect(states[0]).toBe('INTENT_CAPTURED');
    expect(r.json.state).toBe('DISCOVERY');
  });

  it('(b) proposes a pipeline, runs nothing until approved, then runs exactly it', async () => {
    const p = await project();
    const oml = extractToCsv({ name: 'top-movies', query: TOP_SQL, path: 'output/top_movies.csv' });
    p.server.push(...proposeTurns(oml));
    const r = await chat(p, ['Export movies rated above 8.0 to CSV']);
    expect(r.code, printed(r)).toBe(0);
    expect(r.json.state).toBe('AWAIT_APPROVAL');
    expect(r.json.proposal?.pipeline).toBe('top-movies');
    expect(r.json.proposal?.manifest_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.json.proposal?.oml).toBe(oml);
    expect(r.json.reply).toContain(r.json.proposal?.manifest_hash.slice(0, 12));
    expect(r.json.run).toBeNull();
    const output = join(p.dir, 'output', 'top_movies.csv');
    expect(existsSync(output)).toBe(false);
    expect(existsSync(join(p.dir, 'pipelines'))).toBe(false);

    // Approval in another process, by the session id and the hash shown: no model call, so no API key needed.
    // Another hash is refused.
    const requestsBefore = p.server.requests.length;
    const keyless = { ...p, env: { ...p.env, OPENAI_API_KEY: '' } };
    const wrong = await chat(keyless, ['--session', r.json.session_id, 'approve', 'deadbeef']);
    expect(wrong.code, printed(wrong)).toBe(2);
    expect(wrong.json.error?.code).toBe('AGT052');
    expect(existsSync(output)).toBe(false);
    const hash = String(r.json.proposal?.manifest_hash);
    const approved = await chat(keyless, ['--session', r.json.session_id, 'approve', hash.slice(0, 12)]);
    expect(approved.code, printed(approved)).toBe(0);
    expect(approved.json.state).toBe('DONE');
    expect(approved.json.run?.status).toBe('succeeded');
    expect(p.server.requests.length).toBe(requestsBefore);

    // The CSV holds exactly the rows of the same query computed independently, cell by cell.
    const csv = readCsv(output);
    expect(csv.header).toEqual(['movie_id', 'title', 'release_year', 'rating']);
    const expected = (await db.rows(TOP_SQL)).map((row) => csv.header.map((c) => cell(row[c])));
    const byId = (a: string[], b: string[]) => Number(a[0]) - Number(b[0]);
    expect(expected.length).toBeGreaterThan(0);
    expect([...csv.rows].sort(byId)).toEqual([...expected].sort(byId));

    expect(readFileSync(join(p.dir, 'pipelines', 'top-movies.yaml'), 'utf8')).toBe(oml);
    expect(transitionsOf(p, r.json.session_id).slice(-2)).toEqual(['RUN', 'DONE']);
    // The run wrote its log under run_logs/.
    const runId = String(approved.json.run?.run_id);
    expect(allFiles(join(p.dir, 'run_logs')).some((f) => f.includes(`/${runId}/`))).toBe(true);
    // …and its HTML report, named in the result.
    expect(approved.json.run?.report).toBe(`${approved.json.run?.run_dir}/report.html`);
    expect(readFileSync(join(p.dir, String(approved.json.run?.report)), 'utf8')).toContain(runId);
  });

  // The run summary names its run folder: ids and paths Osiris generates are not passed through the
  // credential heuristic of the redactor (a run id can look like a token), only the error text is.
  it('(b2) reports where the approved run logged (run_dir)', async () => {
    const p = await project();
    p.server.push(
      ...proposeTurns(extractToCsv({ name: 'top-movies-logged', query: TOP_SQL, path: 'output/logged.csv' })),
    );
    const r = await chat(p, ['Export movies rated above 8.0 to CSV']);
    const approved = await chat(p, ['--session', r.json.session_id, 'approve']);
    expect(approved.json.run?.status, printed(approved)).toBe('succeeded');
    const runDir = String(approved.json.run?.run_dir);
    expect(runDir).toContain(String(approved.json.run?.run_id));
    expect(existsSync(join(p.dir, runDir, 'events.jsonl'))).toBe(true);
  });

  it('(c) repairs an unknown component, then an unknown column found by the bind check', async () => {
    const p = await project();
    const draft = (component: string, column: string) =>
      extractToCsv({
        name: 'top-movies-repaired',
        component,
        query: `SELECT movie_id, title, ${column} FROM movies WHERE ${column} > 8.0`,
        path: 'output/top_movies_repaired.csv',
      });
    const seen: Array<Record<string, unknown>> = [];
    type Err = { code: string; message: string; hint?: string };
    const errorsOf = (r: Record<string, unknown>) => (Array.isArray(r.errors) ? (r.errors as Err[]) : []);
    p.server.push(
      { toolCalls: [{ name: 'discover_schema', args: { connection: '@mysql.movies' } }] },
      { toolCalls: [{ name: 'propose_pipeline', args: { oml: draft('mysql.extract', 'ratng') } }] },
      (req) => {
        const r = lastToolResult(req);
        seen.push(r);
        const unknown = errorsOf(r).find((e) => e.code === 'OML013');
        // A model fixes what it is told: the component only (the column error is not reported yet).
        if (!unknown || !`${unknown.message} ${unknown.hint}`.includes('mysql.extractor')) {
          return { text: `unexpected validation result: ${JSON.stringify(r)}` };
        }
        return {
          toolCalls: [{ name: 'propose_pipeline', args: { oml: draft('mysql.extractor', 'ratng') } }],
        };
      },
      (req) => {
        const r = lastToolResult(req);
        seen.push(r);
        const column = errorsOf(r).find((e) => e.code === 'SQL002' && e.message.includes('ratng'));
        if (!column || !String(column.hint).includes('rating')) {
          return { text: `unexpected bind-check result: ${JSON.stringify(r)}` };
        }
        return {
          toolCalls: [{ name: 'propose_pipeline', args: { oml: draft('mysql.extractor', 'rating') } }],
        };
      },
      (req) => ({ text: `Fixed and proposed: ${JSON.stringify(lastToolResult(req).pipeline)}.` }),
    );
    const r = await chat(p, ['Export movies rated above 8.0 to CSV']);
    expect(r.code, printed(r)).toBe(0);

    const [first, second] = seen as [Record<string, unknown>, Record<string, unknown>];
    expect(first).toMatchObject({ ok: false, repair_attempts_left: 1 });
    const firstErrors = errorsOf(first);
    expect(firstErrors).toContainEqual(
      expect.objectContaining({
        code: 'OML013',
        hint: expect.stringMatching(/did you mean 'mysql\.extractor'/),
      }),
    );
    expect(firstErrors.some((e) => e.code === 'SQL002')).toBe(false);
    expect(second).toMatchObject({ ok: false, repair_attempts_left: 0 });
    expect(errorsOf(second).map((e) => e.code)).toEqual(['SQL002']);
    expect(errorsOf(second)[0]?.hint).toContain("'rating'");

    expect(r.json.state).toBe('AWAIT_APPROVAL');
    expect(r.json.proposal?.oml).toBe(draft('mysql.extractor', 'rating'));
    expect(p.server.remaining()).toBe(0);
    const states = transitionsOf(p, r.json.session_id);
    expect(states.filter((s) => s === 'REPAIR')).toHaveLength(2);
    expect(states.at(-1)).toBe('AWAIT_APPROVAL');
  });

  it('(d) resumes a session after the process was killed mid-turn', async () => {
    const p = await project();
    const message = 'Which tables hold the director data?';
    let hungRequest: (req: FakeRequest) => void = () => undefined;
    const reachedHang = new Promise<FakeRequest>((resolve) => {
      hungRequest = resolve;
    });
    const neverAnswered = new Promise<void>((resolve) => releases.push(resolve));
    p.server.push(
      { toolCalls: [{ name: 'discover_schema', args: { connection: '@mysql.movies' } }] },
      async (req) => {
        hungRequest(req);
        await neverAnswered;
        throw new Error('released at the end of the test');
      },
    );
    const running = spawnCli(['chat', message, '--json'], { cwd: p.dir, env: p.env, timeoutMs: 45_000 });
    // The second model request arrives (the first step is done), unless the process ends first.
    const exitedEarly = running.done.then((r) => Promise.reject(new Error(`exited early: ${printed(r)}`)));
    const hung = await within(
      Promise.race([reachedHang, exitedEarly]),
      30_000,
      'the second model request never arrived',
    );
    expect(toolResults(hung, 'discover_schema')).toHaveLength(1);
    running.child.kill('SIGKILL');
    const killed = await running.done;
    transcripts.push({ command: `osiris chat ${message} --json (killed)`, ...killed });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toBe('');

    // The session was persisted before the crash: it is listed, mid-turn.
    const list = await osiris(p, ['chat', '--list', '--json']);
    expect(list.code, printed(list)).toBe(0);
    const sessions = (
      JSON.parse(list.stdout) as { sessions: Array<{ id: string; title: string; state: string }> }
    ).sessions;
    expect(sessions).toHaveLength(1);
    const session = sessions[0] as { id: string; title: string; state: string };
    expect(session).toMatchObject({ title: message, state: 'DISCOVERY' });

    // Resume: the model gets the earlier conversation, discovery result included.
    p.server.push((req) => {
      const tables = toolResults(req, 'discover_schema')[0]?.result as
        | { tables?: Array<{ name: string }> }
        | undefined;
      const names = (tables?.tables ?? []).map((t) => t.name).filter((n) => n.includes('director'));
      return { text: `Director data lives in: ${names.join(', ') || '(nothing discovered)'}.` };
    });
    const resumed = await chat(p, ['--session', session.id, 'continue']);
    expect(resumed.code, printed(resumed)).toBe(0);
    expect(resumed.json.session_id).toBe(session.id);
    expect(resumed.json.reply).toBe('Director data lives in: directors.');
    const last = p.server.requests.at(-1) as FakeRequest;
    expect(last.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user']);
    expect(last.messages[0]).toMatchObject({ role: 'user', text: message });
    expect(last.messages[3]).toMatchObject({ role: 'user', text: 'continue' });
    expect(toolResults(last, 'discover_schema')[0]?.text).toContain('birth_year');

    const again = await osiris(p, ['chat', '--list', '--json']);
    const after = (JSON.parse(again.stdout) as { sessions: Array<{ id: string; messages: number }> })
      .sessions;
    expect(after).toEqual([expect.objectContaining({ id: session.id, messages: 5 })]);
  });

  it('(e) reject drops the proposal and runs nothing; approve afterwards is refused', async () => {
    const p = await project();
    p.server.push(
      ...proposeTurns(extractToCsv({ name: 'rejected-movies', query: TOP_SQL, path: 'output/rejected.csv' })),
    );
    const r = await chat(p, ['Export movies rated above 8.0 to CSV']);
    expect(r.code, printed(r)).toBe(0);
    expect(r.json.state).toBe('AWAIT_APPROVAL');
    const requests = p.server.requests.length;

    const rejected = await chat(p, ['--session', r.json.session_id, 'reject']);
    expect(rejected.code, printed(rejected)).toBe(0);
    expect(rejected.json.state).toBe('INTENT_CAPTURED');
    expect(rejected.json.proposal).toBeNull();
    expect(rejected.json.run).toBeNull();

    const approve = await chat(p, ['--session', r.json.session_id, 'approve']);
    expect(approve.code, printed(approve)).toBe(2);
    expect(approve.json.ok).toBe(false);
    expect(approve.json.error?.code).toBe('AGT051');

    expect(existsSync(join(p.dir, 'output', 'rejected.csv'))).toBe(false);
    expect(existsSync(join(p.dir, 'pipelines'))).toBe(false);
    const runLogs = join(p.dir, 'run_logs');
    expect(existsSync(runLogs) ? readdirSync(runLogs) : []).toEqual([]);
    expect(p.server.requests.length).toBe(requests);
    expect(transitionsOf(p, r.json.session_id).includes('RUN')).toBe(false);
  });

  it('speaks the Anthropic messages protocol', async () => {
    const p = await project('anthropic');
    p.server.push(
      {
        toolCalls: [
          { name: 'discover_schema', args: { connection: '@mysql.movies', tables: ['directors', 'movies'] } },
          { name: 'run_query', args: { connection: '@mysql.movies', sql: AVA_SQL } },
        ],
      },
      answerFromQuery,
    );
    const r = await chat(p, ['Find the director Ava DuVernay']);
    expect(r.code, printed(r)).toBe(0);
    expect(r.json.reply).toContain('1972');
    expect(r.json.reply).toContain('Selma');
    expect(p.server.requests.map((q) => q.protocol)).toEqual(['anthropic', 'anthropic']);
    expect(p.server.requests[0]?.model).toBe('claude-sonnet-4-5');
    expect(toolResults(p.server.requests[1], 'discover_schema')[0]?.text).toContain('birth_year');
  });

  // The AI SDK prints provider warnings to stdout by default; the agent routes them into the turn's warnings
  // (stderr in human mode), so `--json` stays one JSON document.
  it('--json prints exactly one JSON document even when the provider warns', async () => {
    const p = await project('anthropic', { model: 'claude-test' });
    p.server.push({ text: 'Hello.' });
    const r = await chat(p, ['hello']);
    expect(r.code, printed(r)).toBe(0);
    expect(() => JSON.parse(r.stdout), printed(r)).not.toThrow();
    expect(r.json.diagnostics?.map((d) => d.message).join('\n') ?? '', printed(r)).toContain('claude-test');
  });

  it('SQL: builds the pipeline around the exact query; FAST: adds the fast-mode instruction', async () => {
    const p = await project();
    const sql = 'SELECT title FROM movies WHERE release_year = 2014';
    p.server.push(
      { toolCalls: [{ name: 'discover_schema', args: { connection: '@mysql.movies' } }] },
      (req) => {
        // Like a model following the SQL-mode instruction: the user's query, verbatim.
        const user = req.messages.find((m) => m.role === 'user');
        const query = user?.role === 'user' ? user.text.replace(/^\s*SQL\s*:\s*/i, '') : '';
        const oml = extractToCsv({ name: 'movies-2014', query, path: 'output/movies_2014.csv' });
        return { toolCalls: [{ name: 'propose_pipeline', args: { oml } }] };
      },
      { text: 'The pipeline runs your query as written and writes output/movies_2014.csv.' },
    );
    const r = await chat(p, [`SQL: ${sql}`]);
    expect(r.code, printed(r)).toBe(0);
    expect(r.json.state).toBe('AWAIT_APPROVAL');
    expect(r.json.proposal?.oml).toContain(`query: "${sql}"`);
    const system = p.server.requests[0]?.system ?? '';
    expect(system).toContain(DEFAULT_PROMPTS.sql_mode);
    expect(system).not.toContain(DEFAULT_PROMPTS.fast_mode);

    const approved = await chat(p, ['--session', r.json.session_id, 'approve']);
    expect(approved.json.run?.status, printed(approved)).toBe('succeeded');
    const titles = readCsv(join(p.dir, 'output', 'movies_2014.csv')).rows.map((row) => row[0]);
    const expected = (await db.rows(sql)).map((row) => String(row.title));
    expect(titles.sort()).toEqual(expected.sort());
    expect(titles).toContain('Selma');

    const before = p.server.requests.length;
    p.server.push({ toolCalls: [{ name: 'list_connections', args: {} }] }, (req) => {
      const listed = lastToolResult(req);
      return {
        text: `Assuming the default connection; I see ${JSON.stringify(listed).length} bytes of connections.`,
      };
    });
    // The user pastes a secret: it reaches neither the model nor the session (see the canary check).
    const fast = await chat(p, [
      `FAST: export all directors to CSV; the postgres password is ${CANARIES.connectionSecret}`,
    ]);
    expect(fast.code, printed(fast)).toBe(0);
    expect(p.server.requests[before]?.messages.at(-1)).toEqual({
      role: 'user',
      text: 'FAST: export all directors to CSV; the postgres password is ***',
    });
    const fastSystem = p.server.requests[before]?.system ?? '';
    expect(fastSystem).toContain(DEFAULT_PROMPTS.fast_mode);
    expect(fastSystem).not.toContain(DEFAULT_PROMPTS.sql_mode);
    // The connection list the model saw names both connections, without the secret.
    const listed = toolResults(p.server.requests[before + 1], 'list_connections')[0]?.text ?? '';
    expect(listed).toContain('@postgres.canary');
    expect(listed).toContain('@mysql.movies');
  });

  it('--pro-mode reads the prompts exported by dump-prompts', async () => {
    const p = await project();
    const exported = await osiris(p, ['dump-prompts', '--export', '--json']);
    expect(exported.code, printed(exported)).toBe(0);
    const systemFile = join(p.dir, '.osiris_prompts', 'system.md');
    expect(readFileSync(systemFile, 'utf8')).toBe(DEFAULT_PROMPTS.system);
    const marker = `PRO-MODE-MARKER-${Date.now().toString(36)}`;
    writeFileSync(systemFile, `${DEFAULT_PROMPTS.system}\n${marker}: always answer in one sentence.\n`);

    p.server.push({ text: 'Hello.' }, { text: 'Hello again.' });
    const pro = await chat(p, ['--pro-mode', 'hello']);
    expect(pro.code, printed(pro)).toBe(0);
    const system = p.server.requests[0]?.system ?? '';
    expect(system).toContain(marker);
    // Placeholders are still filled in from the project.
    expect(system).toContain('@mysql.movies (default)');
    expect(system).not.toContain('{{connections}}');

    const plain = await chat(p, ['hello']);
    expect(plain.code, printed(plain)).toBe(0);
    expect(p.server.requests[1]?.system).not.toContain(marker);
  });

  it('without a provider or key it exits 2 and names the variable to set', async () => {
    const p = await project('openai', { llm: false });
    const r = await chat(p, ['hello'], false);
    expect(r.code, printed(r)).toBe(2);
    expect(r.stderr).toContain('OPENAI_API_KEY');
    expect(r.stdout).toBe('');
    expect(existsSync(join(p.dir, '.osiris', 'sessions'))).toBe(false);
    expect(p.server.requests).toHaveLength(0);
  });

  it('leaks no canary into any project file, session database or model request', () => {
    const canaries = Object.values(CANARIES);
    const hits: string[] = [];
    let sessionDbs = 0;
    for (const p of projects) {
      for (const file of allFiles(p.dir)) {
        if (file.endsWith('session.db')) sessionDbs++;
        const bytes = readFileSync(file);
        for (const c of canaries) if (bytes.includes(c)) hits.push(`${file} contains ${c}`);
      }
      p.server.rawBodies.forEach((body, i) => {
        for (const c of canaries) if (body.includes(c)) hits.push(`request body #${i} contains ${c}`);
      });
    }
    for (const t of transcripts) {
      for (const c of canaries) if (`${t.stdout}${t.stderr}`.includes(c)) hits.push(`output of ${t.command}`);
    }
    expect(hits).toEqual([]);
    // The walk did see the sessions and the requests it vouches for.
    expect(sessionDbs).toBeGreaterThanOrEqual(8);
    expect(projects.reduce((n, p) => n + p.server.rawBodies.length, 0)).toBeGreaterThanOrEqual(20);
  });
});
