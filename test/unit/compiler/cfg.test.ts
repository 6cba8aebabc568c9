// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
import { describe, expect, it } from 'vitest';
import { buildStepCfg, CFG_META_KEYS } from '../../../src/compiler/cfg.js';
import type { OmlStep } from '../../../src/oml/types.js';
import { fixtureRegistry } from './helpers.js';

const registry = fixtureRegistry();

describe('buildStepCfg', () => {
  it('maps the OML mode to the component mode and fills spec defaults', () => {
    const step: OmlStep = {
      id: 'extract',
      component: 'filesystem.csv_extractor',
      mode: 'read',
      config: { path: 'a.csv', delimiter: ';' },
    };
    const { cfg, problems } = buildStepCfg(step, registry);
    expect(problems).toEqual([]);
    expect(cfg).toEqual({
      component: 'filesystem.csv_extractor',
      mode: 'extract',
      path: 'a.csv',
      delimiter: ';',
      header: true,
      encoding: 'utf-8',
      skip_rows: 0,
    });
  });

  it('leaves connection-provided fields to the connection (no host: localhost)', () => {
    const step: OmlStep = {
      id: 'src',
      component: 'mysql.extractor',
      mode: 'read',
      config: { connection: '@mysql.movies', query: 'SELECT 1' },
    };
    const { cfg, problems } = buildStepCfg(step, registry);
    expect(problems).toEqual([]);
    expect(cfg).toEqual({
      component: 'mysql.extractor',
      mode: 'extract',
      connection: '@mysql.movies',
      query: 'SELECT 1',
      batch_size: 10000,
    });
    expect(cfg).not.toHaveProperty('host');
    expect(cfg).not.toHaveProperty('port');
  });

  it('fills connection-field defaults when the step has no connection, but never secret defaults', () => {
    const step: OmlStep = {
      id: 'src',
      component: 'mysql.extractor',
      mode: 'read',
      config: { database: 'db', user: 'u', password: '${MYSQL_PASSWORD}', query: 'SELECT 1' },
    };
    const { cfg, problems } = buildStepCfg(step, registry);
    expect(problems).toEqual([]);
    expect(cfg.host).toBe('localhost');
    expect(cfg.port).toBe(3306);
    // An env reference is a variable name, not a secret: kept for the runner to resolve.
    expect(cfg.password).toBe('${MYSQL_PASSWORD}');
  });

  it('refuses a literal value under a secret key (last line of defence)', () => {
    const step: OmlStep = {
      id: 'src',
      component: 'mysql.extractor',
      mode: 'read',
      config: { database: 'db', user: 'u', password: 'abc', query: 'SELECT 1' },
    };
    const { problems } = buildStepCfg(step, registry);
    expect(problems.map((p) => [p.code, p.key])).toEqual([['CMP005', 'password']]);
    expect(problems[0]?.message).not.toContain('abc');
  });

  it('refuses config keys that clash with the cfg meta keys', () => {
    const step: OmlStep = {
      id: 'w',
      component: 'filesystem.csv_writer',
      mode: 'write',
      config: { path: 'x.csv', mode: 'append' },
    };
    const { problems } = buildStepCfg(step, registry);
    expect(problems.map((p) => [p.code, p.key])).toEqual([['CMP004', 'mode']]);
    expect(CFG_META_KEYS).toEqual(['component', 'mode', 'connection']);
  });

  it('fills writer defaults', () => {
    const a = buildStepCfg(
      { id: 'a', component: 'filesystem.parquet_writer', mode: 'write', config: { path: 'a' } },
      registry,
    );
    expect(a.cfg).toMatchObject({ compression: 'snappy', row_group_size: 122880, create_dirs: true });
  });
});

describe('buildStepCfg with the shipped specs', () => {
  it('never injects connection-provided defaults (the original wrote host: localhost)', async () => {
    const { loadRegistry } = await import('../../../src/registry/load.js');
    const shipped = loadRegistry();
    let checked = 0;
    for (const name of shipped.names()) {
      const fields = shipped.connectionFields(name).map((f) => f.name);
      if (fields.length === 0) continue;
      const spec = shipped.get(name)?.spec;
      const mode = spec?.modes.includes('extract')
        ? 'read'
        : spec?.modes.includes('transform')
          ? 'transform'
          : 'write';
      const family = name.split('.')[0];
      const { cfg } = buildStepCfg(
        { id: 's', component: name, mode, config: { connection: `@${family}.main` } },
        shipped,
      );
      for (const field of fields) expect(cfg, `${name}.${field}`).not.toHaveProperty(field);
      for (const key of shipped.secretKeys(name)) expect(cfg, `${name}.${key}`).not.toHaveProperty(key);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
