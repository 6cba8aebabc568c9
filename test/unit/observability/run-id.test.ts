import { describe, expect, it } from 'vitest';
import { createRunIdGenerator, isRunId, newRunId, runIdTime } from '../../../src/observability/run-id.js';

describe('run ids', () => {
  it('encode the UTC start time and milliseconds', () => {
    const gen = createRunIdGenerator(() => 0);
    const id = gen(new Date('2025-03-14T09:15:02.123Z'));
    expect(id).toBe('20250314T091502Z-3v000000');
    expect(isRunId(id)).toBe(true);
    expect(runIdTime(id)?.toISOString()).toBe('2025-03-14T09:15:02.123Z');
  });

  it('sort by time as strings and stay unique within a millisecond', () => {
    const gen = createRunIdGenerator(() => 2 ** 30 - 2);
    const t = new Date('2025-01-01T00:00:00.999Z');
    const a = gen(t);
    const b = gen(t);
    const c = gen(t); // random part overflows: moves to the next millisecond
    const d = gen(new Date('2025-01-01T00:00:01.000Z'));
    expect(new Set([a, b, c, d]).size).toBe(4);
    expect([d, c, b, a].sort()).toEqual([a, b, c, d]);
    expect(c.startsWith('20250101T000001Z-00')).toBe(true);
  });

  it('are unique and time-ordered in bulk', () => {
    const ids: string[] = [];
    const start = Date.parse('2025-01-01T00:00:00Z');
    for (let i = 0; i < 5000; i++) ids.push(newRunId(new Date(start + Math.floor(i / 7))));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('reject other shapes', () => {
    for (const bad of [
      '',
      'run-000001',
      '20250314T091502Z-0kz3m8q',
      '20250314T091502Z-0kz3m8qi',
      '2025-03-14T09:15:02Z_x',
    ]) {
      expect(isRunId(bad)).toBe(false);
      expect(runIdTime(bad)).toBeUndefined();
    }
  });
});
