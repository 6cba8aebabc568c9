/**
 * Several processes writing the same discovery cache file at once: every read in between sees a whole,
 * valid entry (atomic rename), and no temp file is left behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CacheEntry, readCache } from '../../../src/discovery/cache.js';
import { tempDir } from '../../helpers/cli.js';
import { transpileTree } from '../observability/transpile.js';

const repoRoot = resolve(import.meta.dirname, '../../..');

describe('discovery cache under concurrent writers', () => {
  it('never exposes a partial file', async () => {
    const root = tempDir('osiris-cache-race-');
    const js = transpileTree('src/discovery/cache.ts', join(root, 'code'));
    symlinkSync(join(repoRoot, 'node_modules'), join(root, 'code', 'node_modules'));
    const file = join(root, 'cache', 'discovery', 'k.json');
    const script = join(root, 'code', 'writer.mjs');
    writeFileSync(
      script,
      `import { writeCache } from ${JSON.stringify(js)};
const [file, worker, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i++) {
  const columns = Array.from({ length: 200 }, (_, c) => ({ name: 'c' + c, sourceType: 'text', duckdbType: 'VARCHAR', nullable: true, primaryKeyPosition: null, default: null }));
  writeCache(file, {
    format: 1, key: 'k', createdAt: '2025-01-01T00:00:00.000Z', schemaFingerprint: 'fp',
    identity: { family: 'mysql', alias: 'a', host: 'h', port: null, database: 'd', user: 'u', schema: null, url: null },
    tables: [{ schema: 's', name: 'w' + worker, kind: 'table', rowEstimate: i }],
    details: [{ schema: 's', name: 'w' + worker + '_' + i, kind: 'table', rowEstimate: i, columns, primaryKey: [] }],
    samples: [],
  });
}
`,
    );
    const workers = 6;
    const writes = 40;
    const children = Array.from(
      { length: workers },
      (_, w) =>
        new Promise<number>((done, fail) => {
          const child = spawn(process.execPath, [script, file, String(w), String(writes)], {
            stdio: 'inherit',
          });
          child.on('error', fail);
          child.on('exit', (code) => done(code ?? -1));
        }),
    );
    let reads = 0;
    let running = true;
    const all = Promise.all(children).finally(() => {
      running = false;
    });
    const problems: string[] = [];
    while (running) {
      const read = readCache(file);
      if (read.problem === 'unreadable') problems.push('unreadable');
      if (read.entry) reads++;
      await new Promise((r) => setImmediate(r));
    }
    expect(await all).toEqual(Array(workers).fill(0));
    expect(problems).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    const final = readCache(file).entry as CacheEntry;
    expect(final.details.length).toBeGreaterThanOrEqual(1);
    // Writers merged what others had described under the same fingerprint.
    expect(new Set(final.details.map((d) => d.name.split('_')[0])).size).toBeGreaterThan(1);
    expect(readdirSync(join(root, 'cache', 'discovery'))).toEqual(['k.json']);
  });
});
