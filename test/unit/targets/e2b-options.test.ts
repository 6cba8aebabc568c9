import { describe, expect, it } from 'vitest';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { checkE2bFlagsUnused } from '../../../src/targets/e2b/cli-options.js';
import { e2bFlagsOf, resolveE2bOptions } from '../../../src/targets/e2b/options.js';

const env = { E2B_API_KEY: 'e2b_x', HOME_TOKEN: 't', DB_PASSWORD: 'p' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof OsirisError ? `${error.diagnostics[0]?.code}/${error.exitCode}` : String(error);
  }
  return undefined;
}

describe('e2b options', () => {
  it('needs E2B_API_KEY (exit 2, says where to get one)', () => {
    expect(codeOf(() => resolveE2bOptions({}, {}))).toBe('E2B001/2');
    try {
      resolveE2bOptions({}, {});
    } catch (error) {
      expect((error as OsirisError).diagnostics[0]?.hint).toMatch(/e2b\.dev\/dashboard/);
    }
  });

  it('gives the sandbox only the env asked for; nothing matching *_KEY/*_PASSWORD implicitly', () => {
    const o = resolveE2bOptions(
      e2bFlagsOf({ e2bEnv: ['TZ=UTC', 'EMPTY=', 'EQ=a=b'], e2bPassEnv: ['DB_PASSWORD'] }),
      env,
    );
    expect(o.envs).toEqual({ TZ: 'UTC', EMPTY: '', EQ: 'a=b', DB_PASSWORD: 'p' });
    expect(resolveE2bOptions({}, env).envs).toEqual({});
  });

  it('refuses malformed pairs, unset pass-env names and non-positive numbers (exit 2)', () => {
    expect(codeOf(() => resolveE2bOptions({ e2bEnv: ['=x'] }, env))).toBe('E2B003/2');
    expect(codeOf(() => resolveE2bOptions({ e2bPassEnv: ['NOPE'] }, env))).toBe('E2B004/2');
    expect(codeOf(() => resolveE2bOptions({ cpu: '0' }, env))).toBe('E2B002/2');
    expect(codeOf(() => resolveE2bOptions({ timeout: 'soon' }, env))).toBe('E2B002/2');
  });

  it('reads defaults and the environment switches', () => {
    const o = resolveE2bOptions({}, { ...env, OSIRIS_E2B_INSTALL_DEPS: '1', OSIRIS_E2B_TEMPLATE: 'osiris' });
    expect(o).toMatchObject({ template: 'osiris', timeoutSec: 900, installDeps: true, stallSec: 60 });
    expect(resolveE2bOptions(e2bFlagsOf({ timeout: '30', cpu: 2, memoryGb: '4' }), env)).toMatchObject({
      timeoutSec: 30,
      cpu: 2,
      memoryGb: 4,
    });
  });
});

describe('e2b flags with another target', () => {
  it('are a usage error naming them; none given or target e2b is fine', () => {
    expect(codeOf(() => checkE2bFlagsUnused('process', { cpu: '2', e2bEnv: ['A=1'] }))).toBe('E2B005/2');
    expect(codeOf(() => checkE2bFlagsUnused('local', { json: true }))).toBeUndefined();
    expect(codeOf(() => checkE2bFlagsUnused('e2b', { cpu: '2' }))).toBeUndefined();
  });
});
