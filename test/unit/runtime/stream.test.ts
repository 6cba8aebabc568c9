/** The pass-through plumbing: the bounded channel between extractor and writer, and which steps pair up. */
import { describe, expect, it } from 'vitest';
import type { LoadedStep } from '../../../src/compiler/manifest.js';
import { inputStepIds, passThroughPairs } from '../../../src/runtime/runner.js';
import { BatchChannel, UpstreamFailed } from '../../../src/runtime/stream.js';

function recorder() {
  const calls: string[] = [];
  return {
    calls,
    hooks: {
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
      cancel: () => calls.push('cancel'),
    },
  };
}

describe('BatchChannel', () => {
  it('pauses the producer when full and resumes it once drained to half', async () => {
    const { calls, hooks } = recorder();
    const channel = new BatchChannel<number>('extract', 4, hooks);
    for (let i = 0; i < 4; i++) channel.push(i);
    expect(calls).toEqual(['pause']);
    channel.end();
    const seen: number[] = [];
    for await (const batch of channel) {
      seen.push(batch);
      if (seen.length === 2) expect(calls).toEqual(['pause', 'resume']);
    }
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('hands batches to a consumer that waits for them, then ends', async () => {
    const { hooks } = recorder();
    const channel = new BatchChannel<string>('extract', 2, hooks);
    const consumed = (async () => {
      const out: string[] = [];
      for await (const b of channel) out.push(b);
      return out;
    })();
    for (const b of ['a', 'b', 'c']) {
      await new Promise((r) => setImmediate(r));
      channel.push(b);
    }
    channel.end();
    expect(await consumed).toEqual(['a', 'b', 'c']);
  });

  it("gives the consumer the source's failure, wrapped so it can tell whose it was", async () => {
    const { calls, hooks } = recorder();
    const channel = new BatchChannel<number>('extract', 2, hooks);
    channel.push(1);
    const boom = new Error('connection lost');
    channel.fail(boom);
    const seen: number[] = [];
    const error = await (async () => {
      for await (const b of channel) seen.push(b);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1]);
    expect(error).toBeInstanceOf(UpstreamFailed);
    expect((error as UpstreamFailed).cause).toBe(boom);
    expect((error as UpstreamFailed).stepId).toBe('extract');
    expect(calls).not.toContain('cancel');
  });

  it('cancels the source when the consumer stops early, and drops what was queued', async () => {
    const { calls, hooks } = recorder();
    const channel = new BatchChannel<number>('extract', 8, hooks);
    channel.push(1);
    channel.push(2);
    for await (const b of channel) {
      expect(b).toBe(1);
      break;
    }
    expect(calls).toEqual(['cancel']);
    channel.push(3); // a late push after cancel is ignored
    await expect(
      (async () => {
        for await (const _ of channel) {
          // never reached
        }
      })(),
    ).rejects.toThrow(/only once/);
  });
});

describe('passThroughPairs', () => {
  const step = (id: string, mode: LoadedStep['mode'], needs: string[] = []) =>
    ({ id, mode, needs, component: `${mode}.x` }) as unknown as LoadedStep;

  it('pairs an extractor with a writer that is its only consumer and reads nothing else', () => {
    const pairs = passThroughPairs([
      step('a', 'read'),
      step('b', 'read'),
      step('c', 'read'),
      step('wa', 'write', ['a']),
      step('t', 'transform', ['b']),
      step('wb', 'write', ['t']),
      step('wc1', 'write', ['c']),
      step('wc2', 'write', ['c']),
    ]);
    expect([...pairs].map(([reader, writer]) => [reader, writer.id])).toEqual([['a', 'wa']]);
  });

  it('does not pair a writer that also reads another step', () => {
    const pairs = passThroughPairs([step('a', 'read'), step('b', 'read'), step('w', 'write', ['a', 'b'])]);
    expect(pairs.size).toBe(0);
  });
});

describe('inputStepIds', () => {
  const step = (id: string, mode: LoadedStep['mode'], needs: string[] = []) =>
    ({ id, mode, needs, component: `${mode}.x` }) as unknown as LoadedStep;
  const steps = [
    step('extract-a', 'read'),
    step('write-a', 'write', ['extract-a']),
    step('extract-b', 'read', ['write-a']),
    step('t', 'transform', ['extract-b', 'write-a']),
    step('write-t', 'write', ['t']),
  ];
  const byId = new Map(steps.map((s) => [s.id, s]));

  it('never gives a step a writer as input, and an extractor no input at all', () => {
    expect(steps.map((s) => [s.id, inputStepIds(s, byId)])).toEqual([
      ['extract-a', []],
      ['write-a', ['extract-a']],
      ['extract-b', []],
      ['t', ['extract-b']],
      ['write-t', ['t']],
    ]);
  });

  it('keeps pass-through for pairs chained one after the other', () => {
    const chained = [
      step('extract-a', 'read'),
      step('write-a', 'write', ['extract-a']),
      step('extract-b', 'read', ['write-a']),
      step('write-b', 'write', ['extract-b']),
    ];
    expect([...passThroughPairs(chained)].map(([r, w]) => [r, w.id])).toEqual([
      ['extract-a', 'write-a'],
      ['extract-b', 'write-b'],
    ]);
  });
});
