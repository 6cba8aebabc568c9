/**
 * A model's session, scripted: discover the movies database, write a pipeline with a wrong column, get the
 * located error from oml_validate and bind_check, fix it, compile, run with the manifest hash, read the AIOP.
 * Each step uses only what earlier answers said — as a model would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMoviesDb, type MoviesDb } from '../../e2e/chat-helpers.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { moviesProject, Session, stdioClient, topMovies } from './helpers.js';

const why = await mysqlUnavailable();

interface Diagnostic {
  code: string;
  message: string;
  line?: number;
  col?: number;
  hint?: string;
}

describe.skipIf(why !== undefined)('an assistant authors and runs a pipeline through MCP', () => {
  let db: MoviesDb;
  let session: Session;

  beforeAll(async () => {
    db = await createMoviesDb('osiris_mcp_scn');
    session = await Session.open(await stdioClient(moviesProject(db.name, { allowRun: true })));
  }, 60_000);

  afterAll(async () => {
    await session?.client.close();
    await db?.drop();
  });

  it('discover → wrong column located → fix → compile → run → AIOP', async () => {
    const discovered = await session.ok<{
      described: Array<{ table: string; columns: Array<{ name: string }> }>;
    }>('discovery_run', { connection: '@mysql.movies' });
    const movieColumns = discovered.described
      .find((t) => t.table.endsWith('movies'))
      ?.columns.map((c) => c.name);
    expect(movieColumns).toContain('title');

    // The "model" misspells a column.
    const draft = topMovies('titel');
    const validated = await session.ok<{ valid: boolean; diagnostics: Diagnostic[] }>('oml_validate', {
      oml: draft,
    });
    expect(validated.valid).toBe(false);
    const error = validated.diagnostics.find((d) => d.code === 'SQL002');
    expect(error?.message).toContain("unknown column 'titel'");
    expect(`${error?.message} ${error?.hint}`).toContain("did you mean 'title'");
    // The position is real: line 9 is the query, and the column points at the word in the document.
    const queryLine = draft.split('\n')[(error?.line ?? 0) - 1] ?? '';
    expect(queryLine.slice((error?.col ?? 0) - 1).startsWith('titel')).toBe(true);

    const bound = await session.ok<{ ok: boolean; diagnostics: Diagnostic[] }>('bind_check', { oml: draft });
    expect(bound.ok).toBe(false);
    expect(bound.diagnostics.find((d) => d.code === 'SQL002')).toMatchObject({
      line: error?.line,
      col: error?.col,
    });
    await session.fails('compile', { oml: draft }, 'SQL002');

    // The fix the hint suggests.
    const fixed = draft.replaceAll('titel', 'title');
    expect((await session.ok<{ valid: boolean }>('oml_validate', { oml: fixed })).valid).toBe(true);
    const compiled = await session.ok<{ manifest_hash: string }>('compile', { oml: fixed });
    const run = await session.ok<{ run_id: string; status: string }>('run', {
      manifest_hash: compiled.manifest_hash,
    });
    expect(run.status).toBe('succeeded');
    const aiop = await session.ok<{ status: string; run_card: string }>('aiop', { run_id: run.run_id });
    expect(aiop.status).toBe('succeeded');
    expect(aiop.run_card).toContain('mcp-top-movies');
  });
});
