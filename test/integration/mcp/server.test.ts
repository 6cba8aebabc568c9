/**
 * The MCP server driven through the SDK's own client, over stdio and over Streamable HTTP, on the movies
 * database in MariaDB: what it lists, every tool called with its structured output checked against the
 * schema it declares, the refused and the allowed run, path confinement, size limits, bearer token, and
 * the canary — a connection password that must never come back in anything the server returns or audits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../../src/cli/version.js';
import { createMoviesDb, type MoviesDb } from '../../e2e/chat-helpers.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import {
  CANARY,
  type HttpServer,
  httpClient,
  moviesProject,
  Session,
  startHttpServer,
  stdioClient,
  TOKEN,
  topMovies,
} from './helpers.js';

const why = await mysqlUnavailable();

const TOOL_NAMES = [
  'aiop',
  'bind_check',
  'compile',
  'component_spec',
  'components_list',
  'connections_doctor',
  'connections_list',
  'discovery_run',
  'oml_schema',
  'oml_validate',
  'query',
  'run',
  'run_show',
  'runs_list',
];

/** The example pipeline of the authoring guide (it must validate against the movies database). */
function guideExample(): string {
  const guide = readFileSync(join(import.meta.dirname, '../../../src/mcp/authoring-guide.md'), 'utf8');
  return /```yaml\n([\s\S]*?)```/.exec(guide)?.[1] ?? '';
}

describe.skipIf(why !== undefined)('osiris mcp serve', () => {
  let db: MoviesDb;
  let stdio: Client;
  let stdioSession: Session;
  let http: HttpServer;
  let httpSession: Session;
  let refusedDir: string;
  let allowedDir: string;
  const resourceTexts: string[] = [];

  beforeAll(async () => {
    db = await createMoviesDb('osiris_mcp');
    refusedDir = moviesProject(db.name, { allowRun: false });
    allowedDir = moviesProject(db.name, { allowRun: true });
    [stdio, http] = await Promise.all([stdioClient(refusedDir), startHttpServer(allowedDir)]);
    stdioSession = await Session.open(stdio);
    httpSession = await Session.open(await httpClient(http.url));
  }, 60_000);

  afterAll(async () => {
    await stdio?.close();
    await httpSession?.client.close();
    if (http) expect(await http.stop()).toBe(0);
    await db?.drop();
  });

  it('lists its tools (input and output schemas), resources, templates and prompts over stdio', async () => {
    expect(stdio.getServerVersion()).toEqual({ name: 'osiris', version: VERSION });
    const { tools } = await stdio.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
    for (const t of tools) {
      expect(t.inputSchema.type, t.name).toBe('object');
      expect(t.outputSchema?.type, t.name).toBe('object');
      expect(t.description?.length, t.name).toBeGreaterThan(40);
    }
    const { resources } = await stdio.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toContain('osiris://oml/schema.json');
    expect(uris).toContain('osiris://guide/authoring');
    expect(uris).toContain('osiris://components/mysql.extractor');
    const { resourceTemplates } = await stdio.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      'osiris://components/{name}',
      'osiris://discovery/{connection}',
      'osiris://runs/{run_id}/run-card',
    ]);
    const { prompts } = await stdio.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['author_pipeline', 'explain_failed_run']);
  });

  it('answers every read tool over stdio with output that matches its schema', async () => {
    const s = stdioSession;
    const conns = await s.ok<{ connections: Array<{ reference: string }> }>('connections_list');
    expect(conns.connections.map((c) => c.reference)).toContain('@mysql.movies');
    const doctor = await s.ok<{ results: Array<{ status: string }> }>('connections_doctor', {
      connection: '@mysql.movies',
    });
    expect(doctor.results[0]?.status).toBe('ok');
    // The canary connection fails to authenticate; its message must not hold the password.
    await s.ok('connections_doctor', { connection: '@mysql.canary', timeout_ms: 3000 });

    const listed = await s.ok<{ tables: Array<{ name: string }>; described: Array<{ table: string }> }>(
      'discovery_run',
      { connection: '@mysql.movies' },
    );
    expect(listed.tables.map((t) => t.name).sort()).toEqual(['actors', 'directors', 'movies', 'reviews']);
    // Four tables: described whole at once (the next call is a cache hit).
    expect(listed.described).toHaveLength(4);
    const again = await s.ok<{ cache: { status: string } }>('discovery_run', {
      connection: '@mysql.movies',
      tables: ['movies'],
      samples: 2,
    });
    expect(again.cache.status).not.toBe('miss');

    const rows = await s.ok<{ rows: unknown[]; truncated: boolean }>('query', {
      connection: '@mysql.movies',
      sql: 'SELECT title FROM movies ORDER BY movie_id',
      limit: 3,
    });
    expect(rows.rows).toHaveLength(3);
    expect(rows.truncated).toBe(true);
    await s.fails('query', { connection: '@mysql.movies', sql: 'DELETE FROM movies' }, 'SQL');
    // The canary as a value is masked like any known secret.
    const echoed = await s.ok<{ rows: Array<Record<string, unknown>> }>('query', {
      connection: '@mysql.movies',
      sql: `SELECT '${CANARY}' AS x`,
    });
    expect(JSON.stringify(echoed.rows)).not.toContain(CANARY);

    const components = await s.ok<{ components: Array<{ name: string; required_fields: string[] }> }>(
      'components_list',
    );
    expect(components.components.find((c) => c.name === 'filesystem.csv_writer')?.required_fields).toContain(
      'path',
    );
    const spec = await s.ok<{ connection_fields: string[] }>('component_spec', { name: 'mysql.extractor' });
    expect(spec.connection_fields).toContain('host');
    await s.fails('component_spec', { name: 'mysql.extracter' }, 'mysql.extractor');
    const schema = await s.ok<{ version: string }>('oml_schema');
    expect(schema.version).toBe('0.1.0');

    const valid = await s.ok<{ valid: boolean; sql_check: { checked: string[] } }>('oml_validate', {
      oml: guideExample(),
    });
    expect(valid.valid).toBe(true);
    expect(valid.sql_check.checked).toEqual(['movies', 'directors', 'top']);
    const bound = await s.ok<{ ok: boolean }>('bind_check', { oml: topMovies() });
    expect(bound.ok).toBe(true);
    await s.fails('oml_validate', { path: '../../../etc/passwd' }, 'MCP020');
    await s.fails('oml_validate', {}, 'MCP021');
    const runs = await s.ok<{ runs: unknown[] }>('runs_list');
    expect(runs.runs).toEqual([]);
    await s.fails('run_show', { run_id: 'nope-nope' }, 'LOG003');
  });

  it('compiles, and refuses the run when the project does not allow runs, saying how to allow them', async () => {
    const compiled = await stdioSession.ok<{ manifest_hash: string; manifest_path: string }>('compile', {
      oml: topMovies(),
    });
    expect(compiled.manifest_hash).toMatch(/[0-9a-f]{16}/);
    const text = await stdioSession.fails('run', { manifest_hash: compiled.manifest_hash }, 'MCP030');
    expect(text).toContain('allow_run: true');
    expect(text).toContain(compiled.manifest_path);
    expect(readdirSync(refusedDir)).not.toContain('output');
  });

  it('over HTTP: refuses a missing or wrong token and an oversized body', async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(http.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body,
      });
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect((await post({}, ping)).status).toBe(401);
    expect((await post({ authorization: 'Bearer wrong-token-wrong-token' }, ping)).status).toBe(401);
    expect((await post({ authorization: `Bearer ${TOKEN}` }, 'x'.repeat(1_100_000))).status).toBe(413);
  });

  it('over HTTP with mcp.allow_run: runs only a hash compiled here; then runs, AIOP, resources, prompts', async () => {
    const s = httpSession;
    await s.fails('run', { manifest_hash: 'sha256:0123456789abcdef' }, 'MCP031');
    await s.ok('discovery_run', { connection: '@mysql.movies' });
    const compiled = await s.ok<{ manifest_hash: string }>('compile', { oml: topMovies() });
    const run = await s.ok<{ run_id: string; status: string; outputs: string[] }>('run', {
      manifest_hash: compiled.manifest_hash,
    });
    expect(run.status).toBe('succeeded');
    expect(run.outputs).toEqual(['output/top.csv']);
    expect(readFileSync(join(allowedDir, 'output/top.csv'), 'utf8').split('\n')[0]).toBe('title,rating');

    const runs = await s.ok<{ runs: Array<{ run_id: string }> }>('runs_list', { limit: 5 });
    expect(runs.runs[0]?.run_id).toBe(run.run_id);
    const shown = await s.ok<{ status: string }>('run_show', { run_id: run.run_id });
    expect(shown.status).toBe('succeeded');
    const card = await s.ok<{ run_card: string }>('aiop', { run_id: run.run_id });
    expect(card.run_card).toContain(run.run_id);
    const core = await s.ok<{ aiop: Record<string, unknown> }>('aiop', {
      run_id: run.run_id,
      format: 'json',
    });
    expect(Object.keys(core.aiop)).toContain('evidence');

    const client = s.client;
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toContain(`osiris://runs/${run.run_id}/run-card`);
    expect(uris).toContain('osiris://discovery/@mysql.movies');
    for (const uri of [
      'osiris://oml/schema.json',
      'osiris://guide/authoring',
      'osiris://components/mysql.extractor',
      `osiris://runs/${run.run_id}/run-card`,
      'osiris://discovery/@mysql.movies',
    ]) {
      const read = await client.readResource({ uri });
      const text = (read.contents[0] as { text: string }).text;
      expect(text.length, uri).toBeGreaterThan(100);
      resourceTexts.push(text);
    }
    const explain = await client.getPrompt({ name: 'explain_failed_run', arguments: { run_id: run.run_id } });
    expect(JSON.stringify(explain.messages)).toContain(run.run_id);
    const author = await client.getPrompt({
      name: 'author_pipeline',
      arguments: { goal: 'top movies to CSV' },
    });
    expect(JSON.stringify(author.messages)).toContain('oml_validate');
    resourceTexts.push(JSON.stringify(explain), JSON.stringify(author));
  });

  it('canary: no response, resource or audit line holds the secret; the audit masks arguments', () => {
    const everything = [...stdioSession.texts, ...httpSession.texts, ...resourceTexts];
    expect(everything.length).toBeGreaterThan(20);
    for (const text of everything) expect(text).not.toContain(CANARY);
    for (const dir of [refusedDir, allowedDir]) {
      const auditDir = join(dir, '.osiris', 'mcp');
      const files = readdirSync(auditDir).filter((f) => /^audit-\d{4}-\d{2}-\d{2}\.jsonl$/.test(f));
      expect(files).toHaveLength(1);
      const audit = readFileSync(join(auditDir, files[0] as string), 'utf8');
      expect(audit).not.toContain(CANARY);
      const lines = audit
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.every((l) => typeof l.name === 'string' && typeof l.ok === 'boolean')).toBe(true);
    }
    const stdioAudit = readdirSync(join(refusedDir, '.osiris', 'mcp')).find((f) => f.startsWith('audit-'));
    const lines = readFileSync(join(refusedDir, '.osiris', 'mcp', stdioAudit as string), 'utf8');
    expect(lines).toContain('"code":"MCP030"');
    expect(lines).toContain('"transport":"stdio"');
  });
});
