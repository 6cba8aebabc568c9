import { OsirisError } from '../../src/diagnostics/diagnostic.js';

/** Runs `fn` and returns the OsirisError it throws; fails the test if it throws nothing or something else. */
export function thrown(fn: () => unknown): OsirisError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OsirisError) return error;
    throw error;
  }
  throw new Error('expected an OsirisError');
}
