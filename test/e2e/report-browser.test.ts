/**
 * The HTML run report in a real browser (playwright-core driving Debian's /usr/bin/chromium): real runs
 * through the built CLI (a 3-step pipeline with a connection and a param, run twice so the second has a
 * previous run to compare with, and a failing one), reports generated with `osiris logs html`, each page
 * loaded from file:// with the network unused, looked at 1024 and 1400 px wide.
 *
 * Without chromium the suite is skipped (with a message), except under OSIRIS_CI=1 where it fails.
 * Screenshots go to $OSIRIS_SCREENSHOT_DIR, else <os tmp>/osiris-report-screenshots/ (never into the repo).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, tempDir } from '../helpers/cli.js';

const CHROMIUM = process.env.OSIRIS_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const ci = process.env.OSIRIS_CI === '1';
const SHOTS = process.env.OSIRIS_SCREENSHOT_DIR ?? join(tmpdir(), 'osiris-report-screenshots');

if (!available && !ci) {
  console.warn(
    `report-browser: skipped — ${CHROMIUM} not found (apt-get install chromium; OSIRIS_CI=1 makes this fail)`,
  );
}

describe.runIf(!available && ci)('report in a browser (CI)', () => {
  it('needs chromium', () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is required when OSIRIS_CI=1`).toBe(true);
  });
});

const GOOD = `oml_version: "0.1.0"
name: people-report
description: Extract people, keep the top scorers, write a CSV.
params:
  min_score: 7.5
steps:
  - id: extract-people
    component: filesystem.csv_extractor
    mode: read
    config:
      connection: "@filesystem.landing"
      path: people.csv
  - id: top-scorers
    component: duckdb.processor
    mode: transform
    needs: [extract-people]
    config:
      query: SELECT name, city, score FROM input_df WHERE score > \${params.min_score} ORDER BY score DESC
  - id: write-top
    component: filesystem.csv_writer
    mode: write
    needs: [top-scorers]
    config:
      path: out/top.csv
`;

const BAD = `oml_version: "0.1.0"
name: people-broken
steps:
  - id: extract-people
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/people.csv
  - id: broken-transform
    component: duckdb.processor
    mode: transform
    needs: [extract-people]
    config:
      query: SELECT no_such_column FROM input_df
  - id: write-out
    component: filesystem.csv_writer
    mode: write
    needs: [broken-transform]
    config:
      path: out/never.csv
`;

/** The one browser API used inside page.evaluate (the project compiles without the DOM lib). */
interface BrowserGlobals {
  getComputedStyle(element: unknown): { stroke: string };
}

/** A value in a column named like a secret: the preview shows `***`, never this. */
const TOKEN = 'tok-visible-9f3k2';
const WIDTHS = [1024, 1400] as const;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Loaded {
  page: Page;
  problems: string[];
  requests: string[];
}

describe.runIf(available)('report in a browser', () => {
  let browser: Browser;
  let project: string;
  const reports: { good: string; bad: string; index: string } = { good: '', bad: '', index: '' };
  let previousRunId = '';
  let goodRunDir = '';
  const open: Page[] = [];

  function write(rel: string, text: string): void {
    const path = join(project, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }

  async function load(file: string, width = 1280): Promise<Loaded> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    open.push(page);
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, problems, requests };
  }

  async function visibleRows(page: Page, table: string): Promise<number> {
    return page.locator(`#${table} tbody tr:visible`).count();
  }

  beforeAll(async () => {
    project = tempDir('osiris-report-e2e-');
    write('osiris.yaml', 'version: "2.0"\n');
    write(
      'osiris_connections.yaml',
      'version: "1.0"\nconnections:\n  filesystem:\n    landing:\n      base_dir: data\n',
    );
    write(
      'data/people.csv',
      `id,name,city,score,api_token\n1,Ada,London,9.5,${TOKEN}\n2,Grace,"New York, NY",8.25,t2\n3,Linus,Helsinki,7,t3\n4,Barbara,Boston,8.9,t4\n`,
    );
    write('good.yaml', GOOD);
    write('bad.yaml', BAD);
    const first = runCliJson<{ run_id: string }>(['run', 'good.yaml'], { cwd: project });
    expect(first.code, first.stderr).toBe(0);
    previousRunId = first.json?.run_id as string;
    const good = runCliJson<{ run_id: string; run_dir: string }>(['run', 'good.yaml'], { cwd: project });
    expect(good.code, good.stderr).toBe(0);
    goodRunDir = good.json?.run_dir as string;
    const bad = runCliJson<{ run_id: string }>(['run', 'bad.yaml'], { cwd: project });
    expect(bad.code).toBe(1);
    // The previous run gets its report first, so the comparison can link to it.
    expect(runCli(['logs', 'html', previousRunId], { cwd: project }).code).toBe(0);
    const g = runCliJson<{ path: string }>(['logs', 'html', good.json?.run_id as string], { cwd: project });
    const b = runCliJson<{ path: string }>(['logs', 'html', bad.json?.run_id as string], { cwd: project });
    const i = runCliJson<{ path: string }>(['logs', 'html', '--index'], { cwd: project });
    for (const r of [g, b, i]) expect(r.code, r.stderr).toBe(0);
    reports.good = g.json?.path as string;
    reports.bad = b.json?.path as string;
    reports.index = i.json?.path as string;
    mkdirSync(SHOTS, { recursive: true });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    for (const p of open) await p.close().catch(() => undefined);
    await browser?.close();
  });

  it('shows the 3-step run: steps, row counts, charts, connection; no errors, no network', async () => {
    const { page, problems, requests } = await load(reports.good);
    expect(await page.title()).toContain('people-report');
    expect(await page.locator('#pipeline-name').textContent()).toBe('people-report');
    const stepRows = page.locator('#steps-table tbody tr');
    expect(await stepRows.count()).toBe(3);
    const cells = async (i: number) =>
      (await stepRows.nth(i).locator('td').allTextContents()).map((t) => t.trim());
    // # | step (id, component · mode) | connection | status | rows in | rows out | duration | error
    expect((await cells(0)).slice(1, 6)).toEqual([
      'extract-peoplefilesystem.csv_extractor · read',
      '@filesystem.landing',
      'succeeded',
      '–',
      '4',
    ]);
    expect((await cells(1)).slice(4, 6)).toEqual(['4', '3']);
    expect((await cells(2)).slice(4, 6)).toEqual(['3', '3']);
    for (const id of ['extract-people', 'top-scorers', 'write-top']) {
      expect(await page.locator(`svg.timeline [data-step="${id}"]`).isVisible()).toBe(true);
      expect(await page.locator(`svg.dag g.node[data-step="${id}"]`).isVisible()).toBe(true);
    }
    expect(await page.locator('#error').count()).toBe(0);
    expect(await page.locator('#connections').textContent()).toContain('@filesystem.landing');
    expect(await page.locator('.card', { hasText: 'Rows out' }).locator('.v').textContent()).toBe('3');
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
  });

  it('filters the events table by type, step and text, and resets', async () => {
    const { page, problems } = await load(reports.good);
    const total = await visibleRows(page, 'events-table');
    expect(total).toBeGreaterThan(6);
    await page.selectOption('#filter-events-type', 'step_start');
    expect(await visibleRows(page, 'events-table')).toBe(3);
    expect(await page.locator('[data-count-for="events-table"]').textContent()).toBe(`3 of ${total} shown`);
    await page.selectOption('#filter-events-step', 'top-scorers');
    expect(await visibleRows(page, 'events-table')).toBe(1);
    await page.click('[data-reset-for="events-table"]');
    expect(await visibleRows(page, 'events-table')).toBe(total);
    await page.fill('#filter-events-text', 'run_complete');
    expect(await visibleRows(page, 'events-table')).toBe(1);
    await page.fill('#filter-events-text', 'no such text anywhere');
    expect(await visibleRows(page, 'events-table')).toBe(0);
    expect(await page.locator('[data-empty-for="events-table"]').isVisible()).toBe(true);
    await page.click('[data-reset-for="events-table"]');
    // Clicking a step in the graph filters the events to that step.
    await page.click('svg.dag g.node[data-step="write-top"]');
    expect(await page.inputValue('#filter-events-step')).toBe('write-top');
    const steps = await page.locator('#events-table tbody tr:visible td:nth-child(3)').allTextContents();
    expect(steps.length).toBeGreaterThan(0);
    expect(new Set(steps.map((s) => s.trim()))).toEqual(new Set(['write-top']));
    // Metrics filter too.
    const metricsTotal = await visibleRows(page, 'metrics-table');
    await page.selectOption('#filter-metrics-name', 'duration_ms');
    expect(await visibleRows(page, 'metrics-table')).toBe(3);
    expect(metricsTotal).toBeGreaterThan(3);
    // Sorting by duration (descending on second click) puts the slowest step first.
    await page.click('#steps-table th:has-text("Duration")');
    await page.click('#steps-table th:has-text("Duration")');
    const sorted = await page.locator('#steps-table tbody tr td:nth-child(7)').allTextContents();
    const ms = sorted.map((t) => Number.parseFloat(t) * (t.includes(' s') ? 1000 : 1));
    expect([...ms].sort((a, b) => b - a)).toEqual(ms);
    expect(problems).toEqual([]);
  });

  it('highlights the failed step in the banner, timeline, table and graph', async () => {
    const { page, problems } = await load(reports.bad);
    const banner = page.locator('#error');
    expect(await banner.isVisible()).toBe(true);
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain('broken-transform');
    expect(text).toContain('transform.failed');
    expect(text).toContain('no_such_column');
    expect(await page.locator('svg.timeline g.row.hl[data-step="broken-transform"]').count()).toBe(1);
    expect(await page.locator('svg.timeline g.row.hl').count()).toBe(1);
    const node = page.locator('svg.dag g.node.hl[data-step="broken-transform"] rect.box');
    expect(await node.count()).toBe(1);
    const [stroke, okStroke] = await Promise.all([
      node.evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).stroke),
      page
        .locator('svg.dag g.node[data-step="extract-people"] rect.box')
        .evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).stroke),
    ]);
    expect(stroke).not.toBe(okStroke);
    const [r, g] = (stroke.match(/\d+/g) ?? []).map(Number) as [number, number];
    expect(r).toBeGreaterThan(150);
    expect(g).toBeLessThan(100);
    expect(await page.locator('#steps-table tr.hl[data-step="broken-transform"]').count()).toBe(1);
    expect(await page.locator('svg.dag g.node.st-skipped[data-step="write-out"]').count()).toBe(1);
    expect(await page.locator('.card', { hasText: 'Steps succeeded' }).locator('.v').textContent()).toBe(
      '1 / 3',
    );
    expect(problems).toEqual([]);
  });

  it('renders the index of recent runs, filters it, and links to each report', async () => {
    const { page, problems } = await load(reports.index);
    expect(await visibleRows(page, 'runs-table')).toBe(3);
    await page.selectOption('#filter-runs-status', 'failed');
    expect(await visibleRows(page, 'runs-table')).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'report-index.png'), fullPage: true });
    await page.click('#runs-table tbody tr:visible a');
    await page.waitForURL(/report\.html$/);
    expect(page.url()).toBe(pathToFileURL(reports.bad).href);
    expect(await page.locator('#error').isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('the report of a pipeline that never wrote a row still renders cleanly', async () => {
    const r = runCli(['logs', 'html', '--last', '--pipeline', 'people-broken', '--out', 'again.html'], {
      cwd: project,
    });
    expect(r.code, r.stderr).toBe(0);
    const { page, problems } = await load(join(project, 'again.html'));
    // Nothing was written before the failure: zero rows out, said so.
    const rowsOut = page.locator('.card', { hasText: 'Rows out' });
    expect(await rowsOut.locator('.v').textContent()).toBe('0');
    expect(await rowsOut.locator('.note').textContent()).toBe('before the failure');
    // Links written relative to the page's own folder still reach the run folder.
    await expectLinksResolve(page);
    expect(problems).toEqual([]);
  });

  /** Every link that is not an anchor points at an existing file. Returns how many there were. */
  async function expectLinksResolve(page: Page): Promise<number> {
    const hrefs = await page
      .locator('a[href]:not([href^="#"])')
      .evaluateAll((els) => els.map((e) => (e as unknown as { href: string }).href));
    for (const href of hrefs) {
      expect(href.startsWith('file:'), href).toBe(true);
      const path = fileURLToPath(href);
      expect(existsSync(path) && statSync(path).isFile(), `${href} resolves to a file`).toBe(true);
    }
    return hrefs.length;
  }

  /** The steps table and every cell of it lie inside the Steps card (nothing overflows or is cut). */
  async function expectStepsFit(page: Page): Promise<void> {
    const card = (await page.locator('#steps').boundingBox()) as Box;
    const table = (await page.locator('#steps-table').boundingBox()) as Box;
    expect(table.x).toBeGreaterThanOrEqual(card.x);
    expect(table.x + table.width, 'table right edge inside the card').toBeLessThanOrEqual(
      card.x + card.width,
    );
    const cellBoxes = await page.locator('#steps-table th, #steps-table td').evaluateAll((els) =>
      els.map((e) => {
        const r = (e as unknown as { getBoundingClientRect(): Box }).getBoundingClientRect();
        return { x: r.x, width: r.width };
      }),
    );
    for (const c of cellBoxes) expect(c.x + c.width).toBeLessThanOrEqual(card.x + card.width + 0.5);
    // Nothing scrolls sideways: not the page, not the table's own box.
    const overflow = await page.evaluate(() => {
      const d = (
        globalThis as unknown as {
          document: {
            documentElement: { scrollWidth: number; clientWidth: number };
            querySelector(s: string): { scrollWidth: number; clientWidth: number };
          };
        }
      ).document;
      const fit = d.querySelector('#steps .table-fit');
      return {
        page: d.documentElement.scrollWidth - d.documentElement.clientWidth,
        table: fit.scrollWidth - fit.clientWidth,
      };
    });
    expect(overflow).toEqual({ page: 0, table: 0 });
  }

  for (const width of WIDTHS) {
    it(`at ${width} px: SQL, params, masked preview, links, comparison; the steps table fits its card`, async () => {
      const { page, problems } = await load(reports.good, width);
      await expectStepsFit(page);
      // Starting DuckDB is its own row in the timeline, not part of the first step.
      expect(await page.locator('svg.timeline g.row.phase').textContent()).toContain('start DuckDB');
      // The step's SQL, with the param resolved, and the params themselves.
      const sql = page.locator('#step-top-scorers pre.sql');
      expect(await sql.textContent()).toContain('WHERE score > 7.5 ORDER BY score DESC');
      expect(await sql.isVisible()).toBe(true);
      expect(await page.locator('#files').textContent()).toContain('min_score');
      // Output schema and preview rows of the extractor and the transform.
      const preview = page.locator('table[data-preview-for="extract-people"]');
      expect(await preview.locator('tbody tr').count()).toBe(4);
      expect(await preview.locator('thead th').allTextContents()).toEqual([
        'id',
        'name',
        'city',
        'score',
        'api_token',
      ]);
      expect(await preview.locator('tbody tr').first().locator('td').allTextContents()).toEqual([
        '1',
        'Ada',
        'London',
        '9.50',
        '***',
      ]);
      expect(await page.locator('table[data-preview-for="top-scorers"] tbody tr').count()).toBe(3);
      expect(await page.locator('#step-top-scorers .schema').textContent()).toContain('score');
      // The token is nowhere: not in the page, not in the preview file the runner wrote.
      expect(await page.content()).not.toContain(TOKEN);
      expect(readFileSync(join(goodRunDir, 'preview', 'extract-people.json'), 'utf8')).not.toContain(TOKEN);
      // Links: cfg, preview, the written CSV, manifest — each to an existing file.
      for (const label of ['cfg/top-scorers.json', 'manifest.yaml', 'out/top.csv']) {
        expect(await page.locator(`a[href$="${label.split('/').pop()}"]`).count(), label).toBeGreaterThan(0);
      }
      expect(await expectLinksResolve(page)).toBeGreaterThanOrEqual(8);
      // Compared with the previous successful run (same manifest, same rows).
      const cmp = page.locator('#comparison');
      expect(await cmp.textContent()).toContain(previousRunId);
      expect(await cmp.locator(`a:has-text("${previousRunId}")`).count()).toBe(1);
      expect(
        (
          await page.locator('#comparison-totals tr', { hasText: 'Rows out' }).locator('td').allTextContents()
        ).slice(0, 2),
      ).toEqual(['3', '3']);
      expect(await page.locator('#comparison-steps tbody tr').count()).toBe(3);
      await page.screenshot({ path: join(SHOTS, `report-ok-${width}.png`), fullPage: true });
      expect(problems).toEqual([]);
    });

    it(`at ${width} px: the failed run shows the rows read before the failure and a readable error`, async () => {
      const { page, problems } = await load(reports.bad, width);
      await expectStepsFit(page);
      expect(await page.locator('.card', { hasText: 'Rows in' }).locator('.v').textContent()).toBe('4');
      const failed = page.locator('#steps-table tr[data-step="broken-transform"] td');
      expect((await failed.allTextContents()).slice(4, 6)).toEqual(['4', '–']);
      // The error cell is wide enough to read: its text is all inside the card.
      const err = (await failed.last().boundingBox()) as Box;
      expect(err.width).toBeGreaterThan(170);
      expect(await failed.last().textContent()).toContain('transform.failed');
      expect(await page.locator('#step-broken-transform pre.sql').textContent()).toContain('no_such_column');
      expect(await page.locator('#step-broken-transform').getAttribute('open')).not.toBeNull();
      await page.locator('#steps').screenshot({ path: join(SHOTS, `report-failed-steps-${width}.png`) });
      await page.screenshot({ path: join(SHOTS, `report-failed-${width}.png`), fullPage: true });
      expect(problems).toEqual([]);
    });
  }

  it("the first step's time is its own: DuckDB starts before its clock", () => {
    const events = readFileSync(join(goodRunDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; ts: string; duration_ms?: number });
    const plane = events.findIndex((e) => e.event === 'data_plane');
    const firstStep = events.findIndex((e) => e.event === 'step_start');
    expect(plane).toBeGreaterThan(-1);
    expect(plane).toBeLessThan(firstStep);
    expect(typeof events[plane]?.duration_ms).toBe('number');
  });
});
