import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReportStep } from '../../../src/observability/report/data.js';
import { esc } from '../../../src/observability/report/html.js';
import {
  barChartSvg,
  dagLayers,
  dagSvg,
  niceStep,
  timelineSvg,
} from '../../../src/observability/report/svg.js';

function step(id: string, needs: string[] = [], extra: Partial<ReportStep> = {}): ReportStep {
  return {
    id,
    component: 'duckdb.processor',
    mode: 'transform',
    needs,
    connection: null,
    status: 'succeeded',
    rows_in: null,
    rows_out: 10,
    duration_ms: 5,
    start_ms: 0,
    end_ms: 5,
    error: null,
    detail: { sql: null, config: null, cfg: null, preview: null, outputs: [] },
    ...extra,
  };
}

/** x/y of each DAG node from its transform. */
function nodePositions(svg: string): Map<string, { x: number; y: number }> {
  const out = new Map<string, { x: number; y: number }>();
  for (const m of svg.matchAll(
    /<g class="node[^"]*" data-step="([^"]+)"[^>]*transform="translate\(([\d.]+),([\d.]+)\)"/g,
  )) {
    out.set(m[1] as string, { x: Number(m[2]), y: Number(m[3]) });
  }
  return out;
}

describe('niceStep', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect([0.7, 1, 1.5, 3, 7, 12, 33, 180, 4100].map(niceStep)).toEqual([1, 1, 2, 5, 10, 20, 50, 200, 5000]);
    expect(niceStep(0)).toBe(1);
    expect(niceStep(Number.NaN)).toBe(1);
  });
});

describe('dagLayers / dagSvg', () => {
  it('puts each step one layer right of its deepest input', () => {
    const steps = [step('a'), step('b'), step('c', ['a', 'b']), step('d', ['c']), step('e', ['a', 'd'])];
    expect(Object.fromEntries(dagLayers(steps))).toEqual({ a: 0, b: 0, c: 1, d: 2, e: 3 });
  });

  it('ignores unknown inputs and does not loop on a cycle', () => {
    const layers = dagLayers([step('a', ['ghost']), step('b', ['c']), step('c', ['b'])]);
    expect(layers.get('a')).toBe(0);
    expect(layers.size).toBe(3);
  });

  it('draws every edge left to right and never overlaps two nodes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(20), { maxLength: 3 }), { minLength: 1, maxLength: 14 }),
        (needLists) => {
          // Step i may need only earlier steps: a DAG by construction.
          const steps = needLists.map((needs, i) =>
            step(`s${i}`, i === 0 ? [] : [...new Set(needs.map((n) => `s${n % i}`))].sort()),
          );
          const svg = dagSvg(steps);
          const pos = nodePositions(svg);
          expect(pos.size).toBe(steps.length);
          for (const s of steps) {
            for (const n of s.needs) expect((pos.get(n)?.x ?? 0) < (pos.get(s.id)?.x ?? 0)).toBe(true);
          }
          const seen = new Set<string>();
          for (const p of pos.values()) {
            const key = `${p.x},${p.y}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
          const edges = svg.match(/<path class="edge/g)?.length ?? 0;
          expect(edges).toBe(steps.reduce((n, s) => n + s.needs.length, 0));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('marks the failed node and dashes edges into skipped steps', () => {
    const svg = dagSvg([
      step('a'),
      step('b', ['a'], { status: 'failed', error: { code: 'x.failed', message: 'm' } }),
      step('c', ['b'], { status: 'skipped' }),
    ]);
    expect(svg).toMatch(/<g class="node st-failed hl" data-step="b"/);
    expect(svg).toMatch(/<g class="node st-skipped" data-step="c"/);
    expect(svg.match(/class="edge blocked"/g)).toHaveLength(1);
    expect(svg).toContain('failed · x.failed');
  });
});

describe('timelineSvg', () => {
  it('places bars proportionally on the run duration', () => {
    const svg = timelineSvg(
      [step('a', [], { start_ms: 0, end_ms: 50 }), step('b', [], { start_ms: 50, end_ms: 100 })],
      100,
    );
    const bars = [
      ...svg.matchAll(/<rect class="bar st-succeeded" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g),
    ].map((m) => [Number(m[1]), Number(m[2])]);
    expect(bars).toHaveLength(2);
    const [a, b] = bars as [number[], number[]];
    expect(a[1]).toBeCloseTo(b[1] as number, 0);
    expect(b[0]).toBeCloseTo((a[0] as number) + (a[1] as number), 0);
  });

  it('shows steps that never started as text, without a bar', () => {
    const svg = timelineSvg(
      [step('a'), step('b', ['a'], { status: 'skipped', start_ms: null, end_ms: null })],
      10,
    );
    expect(svg.match(/<rect class="bar/g)).toHaveLength(1);
    expect(svg).toContain('>skipped</text>');
  });
});

describe('barChartSvg', () => {
  it('scales bars to the largest value and escapes labels', () => {
    const svg = barChartSvg(
      ['<a>', 'b'],
      [{ name: 'rows', cls: 'rows-out', values: [50, 100], format: (v) => `${v} rows` }],
      'Rows',
    );
    const widths = [
      ...svg.matchAll(/<rect class="bar rows-out" x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g),
    ].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect((widths[1] as number) / (widths[0] as number)).toBeCloseTo(2, 1);
    expect(svg).not.toContain('<a>');
    expect(svg).toContain(esc('<a>'));
  });
});
