/** The validator against the components Osiris ships (src/components/*\/spec.yaml). */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { checkOml } from '../../../src/oml/check.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { doc } from './fixtures.js';

const registry = loadRegistry();

const oneStep = async (component: string, mode: string, config: string): Promise<Diagnostic[]> =>
  (
    await checkOml(
      doc(
        `oml_version: "0.1.0"\nname: demo\nsteps:\n  - id: s\n    component: ${component}\n    mode: ${mode}\n    config:\n${config
          .split('\n')
          .map((l) => `      ${l}`)
          .join('\n')}\n`,
      ),
      { registry },
    )
  ).diagnostics.filter((d) => d.code !== 'OML045'); // a lone writer has nothing upstream (OML045)

const summary = (list: Diagnostic[]) =>
  list.map((d) => `${d.code} ${d.message}${d.hint ? ` — ${d.hint}` : ''}`);

describe('with the shipped registry', () => {
  it('suggests duckdb.processor for duckdb.proc', async () => {
    expect(summary(await oneStep('duckdb.proc', 'transform', 'query: SELECT 1'))).toEqual([
      "OML013 unknown component 'duckdb.proc' — did you mean 'duckdb.processor'?",
    ]);
  });

  it('reports an upsert without primary key once (the spec also requires it through if/then)', async () => {
    const list = await oneStep(
      'postgres.writer',
      'write',
      'connection: "@postgres.dw"\ntable: t\nwrite_mode: upsert',
    );
    expect(list.map((d) => d.code)).toEqual(['OML026']);
    expect(
      await oneStep('postgres.writer', 'write', 'connection: "@postgres.dw"\ntable: t\nwrite_mode: replace'),
    ).toEqual([]);
  });

  it("explains mysql.extractor's query-or-table rule", async () => {
    expect((await oneStep('mysql.extractor', 'read', 'connection: "@mysql.db"')).map((d) => d.code)).toEqual([
      'OML031',
    ]);
    expect(
      (await oneStep('mysql.extractor', 'read', 'connection: "@mysql.db"\nquery: SELECT 1\ntable: t')).map(
        (d) => d.code,
      ),
    ).toEqual(['OML032']);
    expect(await oneStep('mysql.extractor', 'read', 'connection: "@mysql.db"\ntable: movies')).toEqual([]);
  });

  it('forbids overriding connection-provided credentials', async () => {
    expect(
      (await oneStep('mysql.extractor', 'read', 'connection: "@mysql.db"\ntable: t\nuser: root')).map(
        (d) => d.code,
      ),
    ).toEqual(['OML029']);
    expect(
      await oneStep('mysql.extractor', 'read', 'connection: "@mysql.db"\ntable: t\nhost: replica.internal'),
    ).toEqual([]);
  });

  it('checks CSV options through the schema', async () => {
    const list = await oneStep(
      'filesystem.csv_extractor',
      'read',
      'path: a.csv\nheader: "yes"\ndelimiter: ";;"',
    );
    expect(list.map((d) => d.message)).toEqual([
      "invalid value for 'config.header': must be boolean or integer",
      "invalid value for 'config.delimiter': must NOT have more than 1 characters",
    ]);
    expect(await oneStep('filesystem.csv_writer', 'write', 'path: out.csv\nnewline: crlf')).toEqual([]);
  });

  it('flags inline passwords with the spec secret keys', async () => {
    const list = await oneStep(
      'postgres.writer',
      'write',
      'table: t\nhost: h\ndatabase: d\nuser: u\npassword: hunter22',
    );
    expect(list.map((d) => d.code)).toContain('OML042');
  });
});
