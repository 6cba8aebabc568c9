import { describe, expect, it } from 'vitest';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { selectTarget, targetNames } from '../../../src/targets/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof OsirisError
      ? `${error.diagnostics[0]?.code} exit ${error.exitCode}`
      : String(error);
  }
  return undefined;
}

describe('selectTarget', () => {
  it('takes the flag, then OSIRIS_EXECUTION_TARGET, then execution.target, then local', () => {
    expect(selectTarget(undefined, {}, undefined)).toBe('local');
    expect(selectTarget(undefined, {}, 'process')).toBe('process');
    expect(selectTarget(undefined, { OSIRIS_EXECUTION_TARGET: 'process' }, 'local')).toBe('process');
    expect(selectTarget('local', { OSIRIS_EXECUTION_TARGET: 'process' }, 'process')).toBe('local');
  });

  it('refuses an unknown target with a usage error naming where it came from', () => {
    expect(codeOf(() => selectTarget('nope', {}, undefined))).toBe('WRK001 exit 2');
    try {
      selectTarget(undefined, { OSIRIS_EXECUTION_TARGET: 'nope' }, undefined);
    } catch (error) {
      const d = (error as OsirisError).diagnostics[0];
      expect(d?.message).toBe("unknown execution target 'nope' (from OSIRIS_EXECUTION_TARGET)");
      expect(d?.hint).toBe(`use one of: ${targetNames().join(', ')}`);
    }
  });

  it('lists local and process', () => {
    expect(targetNames()).toEqual(expect.arrayContaining(['local', 'process']));
  });
});
