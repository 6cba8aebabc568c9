/** The fleet's settings and names without a Redis: URL checks, password redaction, key layout, job kinds. */
import { describe, expect, it } from 'vitest';
import { jobHandler, jobKindNames, registerJobKind } from '../../../src/fleet/jobs.js';
import { fleetKeys, fleetSettings, projectKey, redactUrl } from '../../../src/fleet/redis.js';
import { pipelineOf, queueUrl } from '../../../src/fleet/target.js';

describe('fleet settings', () => {
  it('takes redis:// and rediss:// URLs, a prefix and a stalled interval from the environment', () => {
    expect(fleetSettings('redis://127.0.0.1:6379/0', {})).toEqual({
      url: 'redis://127.0.0.1:6379/0',
      prefix: 'osiris',
      stalledMs: 30_000,
    });
    const s = fleetSettings('rediss://h:6380/2', {
      OSIRIS_QUEUE_PREFIX: 'fleet_x',
      OSIRIS_QUEUE_STALLED_MS: '1500',
    });
    expect([s.prefix, s.stalledMs]).toEqual(['fleet_x', 1500]);
    expect(() => fleetSettings('http://h:6379', {})).toThrow(/redis:\/\/ or rediss:\/\//);
  });

  it('never shows the password of a queue URL', () => {
    expect(redactUrl('redis://:s3cret@h:6379/0')).toBe('redis://:***@h:6379/0');
    expect(redactUrl('rediss://app:s3cret@h/1')).toBe('rediss://app:***@h/1');
    expect(redactUrl('redis://h:6379/0')).toBe('redis://h:6379/0');
    let message = '';
    try {
      fleetSettings('http://app:s3cret@h', {});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain('s3cret');
  });

  it('needs a queue from --queue or execution.queue (usage error)', () => {
    expect(queueUrl('redis://a/0', 'redis://b/0')).toBe('redis://a/0');
    expect(queueUrl(undefined, 'redis://b/0')).toBe('redis://b/0');
    expect(() => queueUrl(undefined, undefined)).toThrow(/needs a queue/);
  });

  it('keeps every key under the prefix', () => {
    const keys = fleetKeys('p');
    expect(keys.worker('w1')).toBe('p:fleet:worker:w1');
    expect(keys.stream('R')).toBe('p:fleet:run:R:stream');
    expect(keys.projectRuns('/srv/proj')).toBe(`p:fleet:project:${projectKey('/srv/proj')}:runs`);
    expect(projectKey('/a')).not.toBe(projectKey('/b'));
  });

  it('reads the pipeline id of a manifest', () => {
    expect(
      pipelineOf('meta:\n  x: 1\npipeline:\n  fingerprints:\n    a: b\n  id: orders-copy\nsteps: []\n'),
    ).toBe('orders-copy');
  });
});

describe('job kinds', () => {
  it('registers a kind once and finds its handler', async () => {
    const handler = async () => ({ ok: true });
    registerJobKind('unit-test-kind', handler);
    expect(jobHandler('unit-test-kind')).toBe(handler);
    expect(jobKindNames()).toContain('unit-test-kind');
    expect(() => registerJobKind('unit-test-kind', handler)).toThrow(/twice/);
    expect(jobHandler('nope')).toBeUndefined();
  });
});
