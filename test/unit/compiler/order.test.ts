import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topologicalOrder } from '../../../src/compiler/order.js';

const deps = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

describe('topologicalOrder', () => {
  it('orders a diamond with lexical tie-breaks, whatever the input order', () => {
    const graph = deps({ d: ['b', 'c'], c: ['a'], b: ['a'], a: [] });
    expect(topologicalOrder(['d', 'c', 'b', 'a'], graph).order).toEqual(['a', 'b', 'c', 'd']);
    expect(topologicalOrder(['a', 'b', 'c', 'd'], graph).order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('prefers the lexically smallest ready step, not the declaration order', () => {
    // z and a are both roots; m needs z. Kahn picks a first, then z, then m.
    const graph = deps({ z: [], m: ['z'], a: [] });
    expect(topologicalOrder(['z', 'm', 'a'], graph).order).toEqual(['a', 'z', 'm']);
  });

  it('uses code-unit order (uppercase before lowercase, digits first)', () => {
    const graph = deps({ b: [], B: [], '1': [] });
    expect(topologicalOrder(['b', 'B', '1'], graph).order).toEqual(['1', 'B', 'b']);
  });

  it('reports cycles and unknown dependencies instead of looping', () => {
    const result = topologicalOrder(['a', 'b', 'c'], deps({ a: ['b'], b: ['a'], c: ['ghost'] }));
    expect(result.order).toEqual(['c']);
    expect(result.cyclic).toEqual(['a', 'b']);
    expect(result.unknown).toEqual([{ step: 'c', dependency: 'ghost' }]);
  });

  it('always respects every edge and is independent of input order (property)', () => {
    const dag = fc
      .integer({ min: 1, max: 12 })
      .chain((n) =>
        fc.tuple(
          fc.constant(Array.from({ length: n }, (_, i) => `s${String(i).padStart(2, '0')}`)),
          fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 30 }),
          fc.func(fc.integer()),
        ),
      );
    fc.assert(
      fc.property(dag, ([ids, edges, shuffleKey]) => {
        // Edges only from higher to lower index: always a DAG.
        const graph = new Map<string, string[]>(ids.map((id) => [id, []]));
        for (const [x, y] of edges) {
          if (x > y) graph.get(ids[x] as string)?.push(ids[y] as string);
        }
        const shuffled = [...ids].sort((p, q) => shuffleKey(p) - shuffleKey(q));
        const a = topologicalOrder(ids, graph).order;
        const b = topologicalOrder(shuffled, graph).order;
        expect(b).toEqual(a);
        expect(a).toHaveLength(ids.length);
        const pos = new Map(a.map((id, i) => [id, i]));
        for (const [id, ds] of graph)
          for (const d of ds) expect(pos.get(d)).toBeLessThan(pos.get(id) as number);
      }),
    );
  });
});
