import { describe, expect, it } from 'vitest';
import {
  caretSnippet,
  locateInSql,
  parseDuckDBError,
  positionUnit,
} from '../../../src/runtime/duckdb-errors.js';

describe('parseDuckDBError', () => {
  it('reads the JSON form, with or without a type prefix', () => {
    const json = new Error(
      '{"exception_type":"Catalog","exception_message":"Table with name x does not exist!","position":"34","error_subtype":"MISSING_ENTRY","name":"x"}',
    );
    expect(parseDuckDBError(json)).toEqual({
      type: 'Catalog',
      message: 'Table with name x does not exist!',
      position: 34,
      subtype: 'MISSING_ENTRY',
      name: 'x',
    });
    const prefixed = new Error(
      'Parser Error: {"exception_type":"Parser","exception_message":"syntax error","position":"3"}',
    );
    expect(parseDuckDBError(prefixed)).toMatchObject({
      type: 'Parser',
      message: 'syntax error',
      position: 3,
    });
  });

  it('reads the text form and drops the LINE context', () => {
    const text = new Error(
      'Binder Error: Referenced column "q" not found\n\nLINE 1: select q\n               ^',
    );
    expect(parseDuckDBError(text)).toEqual({ type: 'Binder', message: 'Referenced column "q" not found' });
    expect(parseDuckDBError('plain')).toEqual({ type: '', message: 'plain' });
  });
});

describe('locateInSql', () => {
  const sql = "SELECT a,\n  '😀' AS e, b\nFROM t";
  it('maps byte offsets after a prefix to line and column in characters', () => {
    const prefix = 'CREATE TABLE x AS\n';
    const offset = Buffer.byteLength(prefix) + Buffer.byteLength("SELECT a,\n  '😀' AS e, ");
    expect(locateInSql(sql, offset, prefix, 'bytes')).toEqual({ line: 2, col: 13, text: "  '😀' AS e, b" });
  });
  it('maps code point offsets (what the parser reports)', () => {
    const offset = [..."SELECT a,\n  '😀' AS e, "].length;
    expect(locateInSql(sql, offset, '', 'chars')).toMatchObject({ line: 2, col: 13 });
    expect(positionUnit({ type: 'Parser', message: '' })).toBe('chars');
    expect(positionUnit({ type: 'Binder', message: '' })).toBe('bytes');
  });
  it('ignores offsets inside the prefix', () => {
    expect(locateInSql(sql, 3, 'CREATE TABLE x AS\n')).toBeUndefined();
  });
  it('draws a caret under the column', () => {
    expect(caretSnippet({ line: 3, col: 6, text: 'FROM nosuch' })).toBe('  3 | FROM nosuch\n    |      ^');
  });
});
