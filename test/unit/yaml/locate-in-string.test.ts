import { describe, expect, it } from 'vitest';
import { parseLocatedYaml } from '../../../src/yaml/located.js';

describe('locateInString', () => {
  const text = [
    'a: SELECT lo_put(1)',
    "b: 'SELECT lo_put(1)'",
    'c: |',
    '    SELECT 1,',
    '      lo_put(1)',
    'd: "SELECT \\u006co_put(1)"',
    '',
  ].join('\n');
  const doc = parseLocatedYaml(text, 'f.yaml');
  const at = (key: string, offset: number) =>
    doc.locateInString?.([key], String((doc.value as Record<string, unknown>)[key]), offset);

  it('maps an offset of a plain, quoted or literal-block string to its line and column', () => {
    expect(at('a', 7)).toMatchObject({ file: 'f.yaml', line: 1, col: 11 });
    expect(at('b', 7)).toMatchObject({ line: 2, col: 12 });
    expect(at('c', 'SELECT 1,\n  '.length)).toMatchObject({ line: 5, col: 7 });
  });

  it('gives up when the text does not map one to one or the value changed', () => {
    expect(at('d', 7)).toBeUndefined();
    expect(doc.locateInString?.(['a'], 'SELECT other', 7)).toBeUndefined();
  });
});
