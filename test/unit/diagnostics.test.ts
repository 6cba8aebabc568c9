import { describe, expect, it } from 'vitest';
import { diagnostic, formatDiagnostic, sortDiagnostics } from '../../src/diagnostics/diagnostic.js';
import { closestMatch, didYouMean } from '../../src/diagnostics/suggest.js';

describe('formatDiagnostic', () => {
  it('prints like a compiler', () => {
    const d = diagnostic(
      'error',
      'OML013',
      "unknown component 'duckdb.proc'",
      { file: 'pipeline.yaml', line: 12, col: 5 },
      { hint: "did you mean 'duckdb.processor'?" },
    );
    expect(formatDiagnostic(d)).toBe(
      "pipeline.yaml:12:5 error OML013 unknown component 'duckdb.proc' — did you mean 'duckdb.processor'?",
    );
  });

  it('falls back to the dotted path when there is no file position', () => {
    expect(formatDiagnostic(diagnostic('warning', 'X1', 'odd', { path: 'steps[0].id' }))).toBe(
      'steps[0].id warning X1 odd',
    );
  });
});

describe('sortDiagnostics', () => {
  it('orders by file, line, column, code', () => {
    const a = diagnostic('error', 'B', 'b', { file: 'f', line: 2, col: 1 });
    const b = diagnostic('error', 'A', 'a', { file: 'f', line: 1, col: 9 });
    const c = diagnostic('error', 'A', 'a', { file: 'f', line: 2, col: 1 });
    expect(sortDiagnostics([a, b, c])).toEqual([b, c, a]);
  });
});

describe('didYouMean', () => {
  const names = ['duckdb.processor', 'mysql.extractor', 'mysql.writer', 'postgres.writer'];
  it('suggests close names', () => {
    expect(closestMatch('duckdb.proc', names)).toBe('duckdb.processor');
    expect(closestMatch('mysql.writr', names)).toBe('mysql.writer');
    expect(didYouMean('postgres.writer2', names)).toBe("did you mean 'postgres.writer'?");
  });
  it('stays quiet for unrelated names', () => {
    expect(closestMatch('kafka.consumer', names)).toBeUndefined();
  });
});
