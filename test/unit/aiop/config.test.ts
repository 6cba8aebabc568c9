import { describe, expect, it } from 'vitest';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import {
  AIOP_CONFIG_KEYS,
  AIOP_DEFAULTS,
  cliFlagName,
  envVarName,
  resolveAiopConfig,
} from '../../../src/observability/aiop/config.js';

describe('resolveAiopConfig', () => {
  it('uses the defaults when nothing is set, and reports them as such', () => {
    const r = resolveAiopConfig();
    expect(r.values).toEqual(AIOP_DEFAULTS);
    expect(r.values.max_core_bytes).toBe(300_000);
    for (const key of AIOP_CONFIG_KEYS) expect(r.sources[key].source).toBe('default');
    expect(r.warnings).toEqual([]);
  });

  it('applies CLI > env > osiris.yaml > default, per key, naming where each value came from', () => {
    const r = resolveAiopConfig({
      cli: { policy: 'annex' },
      env: {
        OSIRIS_AIOP_POLICY: 'core',
        OSIRIS_AIOP_MAX_CORE_BYTES: '123456',
        OSIRIS_AIOP_ANNEX_COMPRESS: 'gzip',
      },
      projectRaw: {
        aiop: {
          policy: 'core',
          max_core_bytes: 99999,
          timeline_density: 'high',
          annex: { compress: 'none' },
          run_card: false,
        },
      },
    });
    expect(r.values).toEqual({
      ...AIOP_DEFAULTS,
      policy: 'annex',
      max_core_bytes: 123456,
      timeline_density: 'high',
      run_card: false,
      'annex.compress': 'gzip',
    });
    expect(r.sources.policy).toEqual({ value: 'annex', source: 'cli', origin: '--policy' });
    expect(r.sources.max_core_bytes).toEqual({
      value: 123456,
      source: 'env',
      origin: 'OSIRIS_AIOP_MAX_CORE_BYTES',
    });
    expect(r.sources['annex.compress']).toEqual({
      value: 'gzip',
      source: 'env',
      origin: 'OSIRIS_AIOP_ANNEX_COMPRESS',
    });
    expect(r.sources.timeline_density).toEqual({
      value: 'high',
      source: 'osiris.yaml',
      origin: 'aiop.timeline_density',
    });
    expect(r.sources.run_card).toEqual({ value: false, source: 'osiris.yaml', origin: 'aiop.run_card' });
    expect(r.sources.metrics_topk).toEqual({ value: 100, source: 'default' });
  });

  it('skips unparsable env and osiris.yaml values (next source wins) with a warning', () => {
    const r = resolveAiopConfig({
      env: { OSIRIS_AIOP_MAX_CORE_BYTES: 'lots', OSIRIS_AIOP_ENABLED: 'maybe' },
      projectRaw: { aiop: { max_core_bytes: 50000, policy: 'everything' } },
    });
    expect(r.values.max_core_bytes).toBe(50000);
    expect(r.sources.max_core_bytes.source).toBe('osiris.yaml');
    expect(r.values.enabled).toBe(true);
    expect(r.values.policy).toBe('core');
    expect(r.warnings).toEqual([
      'OSIRIS_AIOP_ENABLED must be true or false; ignored',
      'OSIRIS_AIOP_MAX_CORE_BYTES must be a whole number ≥ 2000; ignored',
      'osiris.yaml aiop.policy must be core or annex; ignored',
    ]);
    expect(resolveAiopConfig({ projectRaw: { aiop: 'yes' } }).warnings).toEqual([
      'osiris.yaml: `aiop` must be a mapping; ignored',
    ]);
  });

  it('rejects an invalid CLI value as a usage error (exit 2)', () => {
    let error: unknown;
    try {
      resolveAiopConfig({ cli: { max_core_bytes: '10' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OsirisError);
    const e = error as OsirisError;
    expect(e.exitCode).toBe(2);
    expect(e.diagnostics[0]?.code).toBe('AIO001');
    expect(e.diagnostics[0]?.message).toContain('--max-core-bytes');
  });

  it('parses booleans and enums leniently (case, yes/no, 1/0)', () => {
    const r = resolveAiopConfig({
      env: { OSIRIS_AIOP_ENABLED: 'No', OSIRIS_AIOP_RUN_CARD: '1', OSIRIS_AIOP_POLICY: 'ANNEX' },
    });
    expect(r.values.enabled).toBe(false);
    expect(r.values.run_card).toBe(true);
    expect(r.values.policy).toBe('annex');
  });

  it('derives env and flag names from keys', () => {
    expect(envVarName('annex.compress')).toBe('OSIRIS_AIOP_ANNEX_COMPRESS');
    expect(envVarName('max_core_bytes')).toBe('OSIRIS_AIOP_MAX_CORE_BYTES');
    expect(cliFlagName('max_core_bytes')).toBe('--max-core-bytes');
    expect(cliFlagName('annex.compress')).toBe('--compress');
  });
});
