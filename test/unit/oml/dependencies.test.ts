// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCycle, formatCycle, parseInputRef, stepDependencies } from '../../../src/oml/dependencies.js';
import type { OmlStep } from '../../../src/oml/types.js';

const step = (id: string, extra: Partial<OmlStep> = {}): OmlStep => ({
  id,
  component: 'duckdb.processor',
  mode: 'transform',
  ...extra,
});

describe('stepDependencies', () => {
  it('infers a linear chain for steps with neither needs nor inputs', () => {
    const deps = stepDependencies([step('a'), step('b'), step('c')]);
    expect([...deps]).toEqual([
      ['a', []],
      ['b', ['a']],
      ['c', ['b']],
    ]);
  });

  it('an explicit needs: [] (or inputs: {}) means no dependencies', () => {
    const deps = stepDependencies([step('a'), step('b', { needs: [] }), step('c', { inputs: {} })]);
    expect(deps.get('b')).toEqual([]);
    expect(deps.get('c')).toEqual([]);
  });

  it('unites needs and ${step.df} inputs, sorted and de-duplicated', () => {
    const deps = stepDependencies([
      step('x'),
      step('a'),
      step('m', { needs: ['x', 'a', 'x'], inputs: { left: '${x.df}', right: '${a.df}', other: 'literal' } }),
    ]);
    expect(deps.get('m')).toEqual(['a', 'x']);
  });

  it('inputs alone replace inference', () => {
    const deps = stepDependencies([step('a'), step('b'), step('c', { inputs: { df: '${a.df}' } })]);
    expect(deps.get('c')).toEqual(['a']);
  });

  it('keeps references to unknown steps (the validator reports them)', () => {
    expect(stepDependencies([step('a', { needs: ['ghost'] })]).get('a')).toEqual(['ghost']);
  });
});

describe('parseInputRef', () => {
  it('accepts only ${<step>.df}', () => {
    expect(parseInputRef('${extract-movies.df}')).toBe('extract-movies');
    expect(parseInputRef('${a_1.df}')).toBe('a_1');
    for (const bad of [
      'extract',
      '${extract}',
      '${extract.rows}',
      ' ${a.df}',
      '${a.df} ',
      '${params.df}x',
      1,
      null,
    ]) {
      expect(parseInputRef(bad)).toBeUndefined();
    }
  });
});

describe('findCycle', () => {
  it('returns undefined for a DAG', () => {
    expect(
      findCycle(
        new Map([
          ['a', []],
          ['b', ['a']],
          ['c', ['a', 'b']],
        ]),
      ),
    ).toBeUndefined();
  });

  it('returns a closed path starting at the smallest id', () => {
    const deps = new Map([
      ['c', ['b']],
      ['b', ['a']],
      ['a', ['c']],
    ]);
    expect(findCycle(deps)).toEqual(['a', 'c', 'b', 'a']);
  });

  it('finds self-dependencies', () => {
    expect(findCycle(new Map([['a', ['a']]]))).toEqual(['a', 'a']);
  });

  it('ignores edges to unknown nodes', () => {
    expect(findCycle(new Map([['a', ['ghost']]]))).toBeUndefined();
  });

  it('is independent of map insertion order', () => {
    const edges: [string, string[]][] = [
      ['p', ['q']],
      ['q', ['r']],
      ['r', ['p']],
      ['s', ['p']],
    ];
    const forward = findCycle(new Map(edges));
    const backward = findCycle(new Map([...edges].reverse()));
    expect(forward).toEqual(['p', 'q', 'r', 'p']);
    expect(backward).toEqual(forward);
  });

  it('agrees with a topological sort on random graphs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 })), { maxLength: 20 }),
        (pairs) => {
          const deps = new Map<string, string[]>();
          for (let i = 0; i < 8; i++) deps.set(`n${i}`, []);
          for (const [from, to] of pairs) deps.get(`n${from}`)?.push(`n${to}`);
          // Kahn: a graph is acyclic iff every node can be removed.
          const remaining = new Map([...deps].map(([k, v]) => [k, new Set(v)]));
          let progress = true;
          while (progress) {
            progress = false;
            for (const [node, ds] of remaining) {
              if ([...ds].every((d) => !remaining.has(d))) {
                remaining.delete(node);
                progress = true;
              }
            }
          }
          const cycle = findCycle(deps);
          expect(cycle === undefined).toBe(remaining.size === 0);
          if (cycle) {
            expect(cycle[0]).toBe(cycle[cycle.length - 1]);
            for (let i = 0; i < cycle.length - 1; i++) {
              expect(deps.get(cycle[i] as string)).toContain(cycle[i + 1]);
            }
          }
        },
      ),
    );
  });

  it('walks a 100,000-step chain without recursion and finds the ring that closes it', () => {
    const n = 100_000;
    const deps = new Map<string, string[]>();
    for (let i = 0; i < n; i++)
      deps.set(`s${String(i).padStart(6, '0')}`, [`s${String((i + 1) % n).padStart(6, '0')}`]);
    const cycle = findCycle(deps);
    expect(cycle?.length).toBe(n + 1);
    expect(formatCycle(cycle ?? [])).toMatch(
      /^s000000 → s000001 → .* … \(99990 more\) … → s099998 → s099999 → s000000$/,
    );
  });
});
