import { describe, expect, it } from 'vitest';
import { runDag } from '../../../src/runtime/scheduler.js';

describe('runDag', () => {
  it('starts nothing new once stopped (a cancelled run): the rest is skipped', async () => {
    const tasks = ['a', 'b', 'c'].map((id) => ({ id, needs: [] as string[] }));
    let stop = false;
    const started: string[] = [];
    const outcome = await runDag(
      tasks,
      1,
      async (t) => {
        started.push(t.id);
        stop = true; // the signal arrives while the first task runs; the task itself still succeeds
        return true;
      },
      () => stop,
    );
    expect(started).toEqual(['a']);
    expect([...outcome]).toEqual([
      ['a', 'succeeded'],
      ['b', 'skipped'],
      ['c', 'skipped'],
    ]);
  });
});
