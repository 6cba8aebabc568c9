import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUSE_MIN_BYTES, fuseMinBytes, smallSourceReason } from '../../../src/runtime/fuse/source-size.js';

const root = mkdtempSync(join(tmpdir(), 'osiris-fuse-size-'));
writeFileSync(join(root, 'small.csv'), 'a,b\n1,2\n');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('fusing only large sources', () => {
  it('runs a small file step by step, saying why and how to change it', () => {
    const why = smallSourceReason(root, { path: 'small.csv' }, undefined, 1024);
    expect(why).toMatch(/small \(0\.000 MiB < 0\.001 MiB\).*row count and preview.*OSIRIS_FUSE_MIN_BYTES/);
  });

  it('fuses a file at or above the threshold, a threshold of 0, globs and missing files', () => {
    expect(smallSourceReason(root, { path: 'small.csv' }, undefined, 8)).toBeUndefined();
    expect(smallSourceReason(root, { path: 'small.csv' }, undefined, 0)).toBeUndefined();
    expect(smallSourceReason(root, { path: '*.csv' }, undefined, 1024)).toBeUndefined();
    expect(smallSourceReason(root, { path: 'gone.csv' }, undefined, 1024)).toBeUndefined();
  });

  it("resolves the path against the connection's base_dir", () => {
    const conn = { family: 'filesystem', alias: 'landing', fields: { base_dir: root } };
    expect(smallSourceReason('/nonexistent', { path: 'small.csv' }, conn, 1024)).toBeDefined();
  });

  it("prefers the step's own base_dir to the connection's, as the CSV extractor does", () => {
    const conn = { family: 'filesystem', alias: 'landing', fields: { base_dir: '/nonexistent' } };
    expect(smallSourceReason('/', { path: 'small.csv', base_dir: root }, conn, 1024)).toBeDefined();
  });

  it('reads the threshold from OSIRIS_FUSE_MIN_BYTES, ignoring nonsense', () => {
    expect(fuseMinBytes({})).toBe(FUSE_MIN_BYTES);
    expect(fuseMinBytes({ OSIRIS_FUSE_MIN_BYTES: '0' })).toBe(0);
    expect(fuseMinBytes({ OSIRIS_FUSE_MIN_BYTES: 'lots' })).toBe(FUSE_MIN_BYTES);
  });
});
