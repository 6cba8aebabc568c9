/** Which steps fuse into one streaming statement (src/runtime/fuse/plan.ts, docs/adr/0018). */
import { describe, expect, it } from 'vitest';
import type { LoadedStep } from '../../../src/compiler/manifest.js';
import { type FuseRole, planFusedChains } from '../../../src/runtime/fuse/plan.js';

const ROLES: Record<string, FuseRole> = { csv: 'source', sql: 'transform', parquet: 'sink', csvw: 'sink' };
const step = (id: string, mode: LoadedStep['mode'], component: string, needs: string[] = []) =>
  ({ id, mode, needs, component }) as unknown as LoadedStep;
const roleOf = (s: LoadedStep) => ROLES[s.component];
const chains = (steps: LoadedStep[], off?: string) => {
  const plan = planFusedChains(steps, roleOf, off ? { off } : {});
  return {
    chains: [...plan.chains].map(([head, c]) => [head, c.steps.map((s) => s.id)]),
    declined: plan.declined.map((d) => [d.step_id, d.reason]),
  };
};

describe('planFusedChains', () => {
  it('fuses source → writer and source → transforms → writer', () => {
    expect(
      chains([
        step('a', 'read', 'csv'),
        step('wa', 'write', 'parquet', ['a']),
        step('b', 'read', 'csv'),
        step('t1', 'transform', 'sql', ['b']),
        step('t2', 'transform', 'sql', ['t1']),
        step('wb', 'write', 'csvw', ['t2']),
      ]),
    ).toEqual({
      chains: [
        ['a', ['a', 'wa']],
        ['b', ['b', 't1', 't2', 'wb']],
      ],
      declined: [],
    });
  });

  it('declines when an intermediate output has another reader, or a step waits for more', () => {
    const { chains: found, declined } = chains([
      step('a', 'read', 'csv'),
      step('t', 'transform', 'sql', ['a']),
      step('w1', 'write', 'parquet', ['t']),
      step('w2', 'write', 'parquet', ['t']),
      step('b', 'read', 'csv'),
      step('c', 'read', 'csv'),
      step('join', 'transform', 'sql', ['b', 'c']),
      step('wj', 'write', 'parquet', ['join']),
      step('d', 'read', 'csv'),
      step('wd', 'write', 'parquet', ['d', 'w1']),
    ]);
    expect(found).toEqual([]);
    expect(declined).toEqual([
      ['a', "step 't' is read by 2 steps (w1, w2)"],
      ['b', "step 'join' waits for more than step 'b' (needs: b, c)"],
      ['c', "step 'join' waits for more than step 'c' (needs: b, c)"],
      ['d', "step 'wd' waits for more than step 'd' (needs: d, w1)"],
    ]);
  });

  it('declines steps that cannot run inside the statement, sources nobody reads, and non-file sources', () => {
    const { chains: found, declined } = chains([
      step('a', 'read', 'csv'),
      step('w', 'write', 'postgres', ['a']),
      step('b', 'read', 'csv'),
      step('m', 'read', 'mysql'),
      step('wm', 'write', 'parquet', ['m']),
    ]);
    expect(found).toEqual([]);
    expect(declined).toEqual([
      ['a', "step 'w' (postgres) cannot run inside a fused statement"],
      ['b', "no step reads step 'b'"],
    ]);
  });

  it('a writer reached after an ordering-only need still fuses; the switch turns every chain off', () => {
    const steps = [
      step('a', 'read', 'csv'),
      step('wa', 'write', 'parquet', ['a']),
      step('b', 'read', 'csv', ['wa']),
      step('wb', 'write', 'parquet', ['b']),
    ];
    expect(chains(steps).chains).toEqual([
      ['a', ['a', 'wa']],
      ['b', ['b', 'wb']],
    ]);
    expect(chains(steps, 'runtime.fuse is false')).toEqual({
      chains: [],
      declined: [
        ['a', 'runtime.fuse is false'],
        ['b', 'runtime.fuse is false'],
      ],
    });
  });
});
