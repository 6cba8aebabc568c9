// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
/** A position inside a SQL scalar → the YAML file's line:col, for every scalar style, or undefined. */
import { describe, expect, it } from 'vitest';
import { derivedDocument } from '../../../src/oml/load.js';
import { locateInScalar } from '../../../src/oml/sql-position.js';
import type { JsonObject } from '../../../src/yaml/json.js';
import { parseLocatedYaml } from '../../../src/yaml/located.js';

/** Where `needle` (its first occurrence in the value of `q`) is in the file. */
function where(yaml: string, needle: string) {
  const doc = parseLocatedYaml(yaml, 'p.yaml');
  expect(doc.errors).toEqual([]);
  const value = (doc.value as JsonObject).q as string;
  return locateInScalar(doc, ['q'], value.indexOf(needle));
}

describe('locateInScalar', () => {
  it('plain, single- and double-quoted scalars', () => {
    expect(where('q: SELECT id, nme FROM t\n', 'nme')).toEqual({ file: 'p.yaml', line: 1, col: 15 });
    expect(where("q: 'SELECT ''x'', nme FROM t'\n", 'nme')).toEqual({ file: 'p.yaml', line: 1, col: 19 });
    expect(where('q: "SELECT id, nme FROM t"\n', 'nme')).toEqual({ file: 'p.yaml', line: 1, col: 16 });
  });

  it('literal and folded blocks, with their indentation', () => {
    const literal = 'q: |\n  SELECT id,\n      nme\n  FROM t\n';
    expect(where(literal, 'nme')).toEqual({ file: 'p.yaml', line: 3, col: 7 });
    const folded = 'q: >\n  SELECT id,\n  nme\n  FROM t\n';
    expect(where(folded, 'nme')).toEqual({ file: 'p.yaml', line: 3, col: 3 });
    const plainMultiLine = 'q: SELECT id,\n  nme FROM t\n';
    expect(where(plainMultiLine, 'nme')).toEqual({ file: 'p.yaml', line: 2, col: 3 });
  });

  it('gives up on double-quoted escapes (the caller falls back to the scalar start)', () => {
    expect(where('q: "SELECT \\"id\\", nme FROM t"\n', 'nme')).toBeUndefined();
  });

  it('maps positions before a ${params.…} placeholder, not after it', () => {
    const source = parseLocatedYaml('q: SELECT nme FROM t LIMIT ${params.n} -- x\n', 'p.yaml');
    const resolved = derivedDocument(source, { q: 'SELECT nme FROM t LIMIT 100000 -- x' });
    expect(locateInScalar(resolved, ['q'], 7)).toEqual({ file: 'p.yaml', line: 1, col: 11 });
    expect(locateInScalar(resolved, ['q'], 33)).toBeUndefined();
  });
});
