import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createProgressReporter,
  formatCount,
  formatDuration,
  formatRunSummary,
} from '../../../src/observability/progress.js';

describe('formatCount', () => {
  // It replaces an Intl.NumberFormat (ICU start-up is slow); it must print exactly what that printed.
  const intl = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

  it('prints what Intl.NumberFormat en-US prints, edge cases included', () => {
    for (const n of [
      0,
      -0,
      0.5,
      1.5,
      2.5,
      -2.5,
      -0.4,
      999,
      1000,
      999_999.5,
      1e21,
      2 ** 53 + 2,
      -1234567.89,
    ]) {
      expect(formatCount(n)).toBe(intl.format(n));
    }
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(formatCount(n)).toBe(intl.format(n));
    }
  });

  it('agrees with Intl.NumberFormat on any double', () => {
    fc.assert(
      fc.property(fc.double(), (n) => formatCount(n) === intl.format(n)),
      { numRuns: 2000 },
    );
  });
});

function capture() {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  return { stream, text: () => out };
}

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('progress without a TTY', () => {
  it('prints one plain line per step event', () => {
    const { stream, text } = capture();
    const c = fakeClock();
    const p = createProgressReporter({ tty: false, stream, now: c.now });
    p.stepStarted('extract-movies', 'filesystem.csv_extractor');
    p.stepProgress('extract-movies', 100);
    c.advance(35);
    p.stepFinished('extract-movies', { rowsOut: 212, durationMs: 35, status: 'succeeded' });
    p.stepStarted('write-stats', 'filesystem.csv_writer');
    p.stepFinished('write-stats', { rowsOut: 1, durationMs: 1234, status: 'succeeded' });
    p.stepStarted('load', 'filesystem.parquet_writer');
    p.stepFinished('load', { durationMs: 2, status: 'failed', error: 'target folder is not writable' });
    p.stepFinished('publish', { durationMs: 0, status: 'skipped' });
    p.note('outputs: out/stats.csv');
    p.runFinished({
      status: 'failed',
      durationMs: 1500,
      runId: 'R1',
      stepsTotal: 4,
      stepsSucceeded: 2,
      rowsOut: 1234567,
    });
    expect(text()).toBe(
      [
        'step extract-movies started (filesystem.csv_extractor)',
        'step extract-movies done: 212 rows in 35 ms',
        'step write-stats started (filesystem.csv_writer)',
        'step write-stats done: 1 row in 1.2 s',
        'step load started (filesystem.parquet_writer)',
        'step load failed after 2 ms: target folder is not writable',
        'step publish skipped',
        'outputs: out/stats.csv',
        '',
      ].join('\n'),
    );
  });

  it('prints a heartbeat for long steps at most every heartbeatMs', () => {
    const { stream, text } = capture();
    const c = fakeClock();
    const p = createProgressReporter({ tty: false, stream, now: c.now, heartbeatMs: 10_000 });
    p.stepStarted('big', 'duckdb.processor');
    c.advance(5_000);
    p.stepProgress('big', 500);
    c.advance(5_000);
    p.stepProgress('big', 1_000_000);
    c.advance(1_000);
    p.stepProgress('big', 1_100_000);
    expect(text()).toBe(
      'step big started (duckdb.processor)\nstep big: 1,000,000 rows so far (100,000 rows/s, 10.0 s)\n',
    );
  });
});

describe('progress on a TTY', () => {
  it('redraws live lines in place with counts, rates and elapsed time', () => {
    const { stream, text } = capture();
    const c = fakeClock();
    const p = createProgressReporter({ tty: true, stream, now: c.now, autoRefresh: false, columns: 200 });
    p.stepStarted('extract-movies', 'filesystem.csv_extractor');
    c.advance(2000);
    p.stepProgress('extract-movies', 5000);
    c.advance(50); // throttled: no redraw within 100 ms
    const before = text();
    p.stepProgress('extract-movies', 5100);
    expect(text()).toBe(before);
    c.advance(100);
    p.stepProgress('extract-movies', 8200);
    p.stepFinished('extract-movies', { rowsOut: 8200, durationMs: 2160, status: 'succeeded' });
    p.runFinished({ status: 'succeeded', durationMs: 2200 });
    const out = text();
    expect(out).toContain('\r');
    expect(out).toContain('\x1b[2K');
    expect(out).toContain('5,000 rows');
    expect(out).toContain('2,500 rows/s');
    expect(out).toContain('2.0 s');
    expect(out).toContain('8,200 rows');
    expect(out).not.toContain('5,100 rows');
    expect(out).toContain('✔ step extract-movies done: 8,200 rows in 2.2 s\n');
    expect(out.endsWith('✔ step extract-movies done: 8,200 rows in 2.2 s\n')).toBe(true); // no summary line
  });

  it('keeps one live line per running step and moves the cursor up over them', () => {
    const { stream, text } = capture();
    const c = fakeClock();
    const p = createProgressReporter({ tty: true, stream, now: c.now, autoRefresh: false, columns: 200 });
    p.stepStarted('a', 'x.y');
    p.stepStarted('b', 'x.z');
    c.advance(200);
    p.stepProgress('a', 10);
    const out = text();
    expect(out).toContain('\x1b[1A'); // moved up over the 2-line block
    const lastFrame = out.slice(out.lastIndexOf('\x1b[2K') + 4);
    expect(lastFrame.split('\n')).toHaveLength(2);
    expect(lastFrame).toMatch(/ a .*10 rows/);
    expect(lastFrame).toMatch(/ b .*0 rows/);
    p.dispose();
  });

  it('clips lines to the terminal width', () => {
    const { stream, text } = capture();
    const p = createProgressReporter({ tty: true, stream, autoRefresh: false, columns: 30 });
    p.stepStarted('a-very-long-step-identifier-indeed', 'component.with.long.name');
    const ESC = String.fromCharCode(27);
    const frame = text().replace(new RegExp(`\\r|${ESC}\\[[0-9]*[A-Z]`, 'g'), '');
    expect(frame.length).toBeLessThanOrEqual(29);
    p.dispose();
  });
});

describe('progress in JSON mode', () => {
  it('prints nothing', () => {
    const { stream, text } = capture();
    const p = createProgressReporter({ tty: true, stream, json: true });
    p.stepStarted('a', 'b');
    p.stepProgress('a', 1);
    p.stepFinished('a', { rowsOut: 1, durationMs: 1, status: 'succeeded' });
    p.note('x');
    p.runFinished({ status: 'succeeded', durationMs: 1 });
    expect(text()).toBe('');
  });
});

describe('formatRunSummary', () => {
  it('says how the run ended, with steps and rows when known', () => {
    expect(
      formatRunSummary({
        status: 'failed',
        durationMs: 1500,
        runId: 'R1',
        stepsTotal: 4,
        stepsSucceeded: 2,
        rowsOut: 1234567,
      }),
    ).toBe('run R1 failed in 1.5 s (2/4 steps, 1,234,567 rows out)');
    expect(formatRunSummary({ status: 'succeeded', durationMs: 2200 })).toBe('run succeeded in 2.2 s');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [35, '35 ms'],
    [1234, '1.2 s'],
    [59_999, '60.0 s'],
    [123_000, '2m 03s'],
    [3_725_000, '1h 02m'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
