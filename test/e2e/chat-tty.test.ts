/**
 * The interactive `osiris chat` in a real pseudo-terminal: tmux runs the built CLI (on a private tmux server,
 * so the developer's own sessions and config are untouched), the test types into it with `send-keys` and reads
 * the screen with `capture-pane`. The model is the scripted fake provider; the data is the movies demo dataset
 * in a fresh MariaDB database.
 *
 * Proves: the banner, the streamed reply, the proposal box with its manifest hash and the approve hint, that
 * `approve` typed at the prompt runs the pipeline (CSV written, rows as in the database), and `/quit`.
 *
 * Needs tmux (CI installs it in .ci/run), the built CLI and MariaDB; skipped without tmux or MariaDB, except
 * under OSIRIS_CI=1 where a missing tmux fails.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OSIRIS_BIN } from '../helpers/cli.js';
import { mysqlUnavailable } from '../helpers/databases.js';
import {
  type ChatProject,
  createChatProject,
  createMoviesDb,
  extractToCsv,
  lastToolResult,
  type MoviesDb,
  parseCsv,
} from './chat-helpers.js';
import { hasTmux, openTerminal, type Terminal, TMUX } from './tmux.js';

const ci = process.env.OSIRIS_CI === '1';
if (!hasTmux && !ci) console.warn(`chat-tty: skipped — ${TMUX} not found (apt-get install tmux)`);

describe.runIf(!hasTmux && ci)('interactive chat in a terminal (CI)', () => {
  it('needs tmux', () => {
    expect(existsSync(TMUX), `${TMUX} is required when OSIRIS_CI=1`).toBe(true);
  });
});

const skip = hasTmux ? await mysqlUnavailable() : 'no tmux';
const SQL = 'SELECT movie_id, title, rating FROM movies WHERE rating > 8.0';

let db: MoviesDb;
let p: ChatProject;
let term: Terminal | undefined;

describe.skipIf(skip !== undefined)('interactive osiris chat in a pseudo-terminal (tmux)', () => {
  beforeAll(async () => {
    db = await createMoviesDb('osiris_chat_tty');
    p = await createChatProject(db.name);
    // NO_COLOR is left unset: the real terminal rendering (colours are stripped by capture-pane).
    delete p.env.NO_COLOR;
  });

  afterAll(async () => {
    await term?.close();
    if (p) {
      await p.server.close();
      rmSync(p.dir, { recursive: true, force: true });
    }
    await db?.drop();
  });

  it('proposes, shows the manifest, runs on `approve` and quits', async () => {
    const oml = extractToCsv({ name: 'top-movies', query: SQL, path: 'output/top_movies.csv' });
    p.server.push(
      { toolCalls: [{ name: 'discover_schema', args: { connection: '@mysql.movies' } }] },
      { toolCalls: [{ name: 'propose_pipeline', args: { oml } }] },
      (req) => ({
        text: `Ready: ${String(lastToolResult(req).pipeline)} reads the movies rated above 8.0 into a CSV.`,
      }),
    );
    // The shell keeps the pane open after the CLI exits, with its exit code on screen.
    const command = `${process.execPath} ${OSIRIS_BIN} chat; echo "[osiris exited $?]"; sleep 600`;
    term = await openTerminal({ command, cwd: p.dir, env: p.env });
    const { waitFor, type } = term;

    await waitFor('the banner', (s) => s.includes('Osiris chat') && s.includes('you ›'));
    await type('Export movies rated above 8.0 to CSV');
    const proposal = await waitFor(
      'the proposal box',
      (s) => /manifest [0-9a-f]{64}/.test(s) && s.includes('Type approve to run'),
    );
    expect(proposal).toContain('osiris › Ready: top-movies reads the movies rated above 8.0 into a CSV.');
    expect(proposal).toContain('Pipeline top-movies');
    expect(proposal).toContain('component: mysql.extractor');
    expect(existsSync(join(p.dir, 'output', 'top_movies.csv'))).toBe(false);

    await type('approve');
    const ran = await waitFor(
      'the run result',
      (s) => s.includes('run succeeded') || s.includes('run failed'),
    );
    expect(ran).toContain('✔ run succeeded');
    expect(ran).toContain('output: output/top_movies.csv');
    expect(ran).toMatch(/run log: run_logs\/\S+/);
    // The run's HTML report is written and named, so there is a page to open.
    const report = /report: {2}(run_logs\/\S+\/report\.html)/.exec(ran)?.[1];
    expect(report, ran).toBeDefined();
    expect(existsSync(join(p.dir, report as string))).toBe(true);
    const [header, ...rows] = parseCsv(readFileSync(join(p.dir, 'output', 'top_movies.csv'), 'utf8').trim());
    expect(header).toEqual(['movie_id', 'title', 'rating']);
    const expected = await db.rows(SQL);
    expect(rows.map((r) => r[1]).sort()).toEqual(expected.map((r) => String(r.title)).sort());

    await type('/quit');
    const end = await waitFor('the exit', (s) => s.includes('[osiris exited'));
    expect(end).toMatch(/session \S+ saved — resume with: osiris chat --session \S+/);
    expect(end).toContain('[osiris exited 0]');
    expect(p.server.remaining()).toBe(0);
  });
});
