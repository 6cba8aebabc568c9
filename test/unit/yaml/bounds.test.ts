/** parseLocatedYaml's bounds: linear duplicate keys, depth, aliases — and ordinary YAML still parses. */
import { describe, expect, it } from 'vitest';
import { parseLocatedYaml } from '../../../src/yaml/located.js';

const codes = (text: string) => parseLocatedYaml(text, 'f.yaml').errors.map((e) => e.code);

function nested(depth: number): string {
  let out = '';
  for (let i = 0; i < depth; i++) out += `${'  '.repeat(i)}k:\n`;
  return `${out}${'  '.repeat(depth)}leaf\n`;
}

describe('parseLocatedYaml bounds', () => {
  it('keeps ordinary anchors and aliases working', () => {
    const doc = parseLocatedYaml('base: &b { host: h, port: 1 }\na: *b\nb: [*b, *b]\n', 'f.yaml');
    expect(doc.errors).toEqual([]);
    expect(doc.value).toEqual({
      base: { host: 'h', port: 1 },
      a: { host: 'h', port: 1 },
      b: [
        { host: 'h', port: 1 },
        { host: 'h', port: 1 },
      ],
    });
  });

  it('reports every duplicate key at the repeat, naming the first line; same key in sibling maps is fine', () => {
    const doc = parseLocatedYaml('a: 1\nm: { x: 1, y: 2 }\nn: { x: 1 }\na: 2\nm: 3\n', 'f.yaml');
    expect(doc.errors.map((e) => [e.code, e.location.line, e.location.col, e.message])).toEqual([
      ['YAML001', 4, 1, "duplicate key 'a' (first at line 1)"],
      ['YAML001', 5, 1, "duplicate key 'm' (first at line 2)"],
    ]);
    expect(doc.value).toBeUndefined();
  });

  it('finds a duplicate among 200,000 keys in linear time', () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => `k${i}: ${i}`);
    const started = Date.now();
    const doc = parseLocatedYaml(`${lines.join('\n')}\nk7: again\n`, 'f.yaml');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(doc.errors.map((e) => [e.code, e.location.line])).toEqual([['YAML001', 200_001]]);
  });

  it('accepts 100 levels and rejects 101, at the first node too deep', () => {
    expect(codes(nested(99))).toEqual([]);
    const doc = parseLocatedYaml(nested(101), 'f.yaml');
    expect(doc.errors.map((e) => [e.code, e.location.line, e.location.col])).toEqual([['YAML002', 101, 201]]);
  });

  it('rejects depth built from aliases of aliases', () => {
    let text = 'a0: &a0 [x]\n';
    for (let i = 1; i <= 120; i++) text += `a${i}: &a${i} [*a${i - 1}]\n`;
    expect(codes(text)).toEqual(['YAML002']);
  });

  it('rejects unresolved and self-containing aliases', () => {
    expect(codes('a: *nope\n')).toEqual(['YAML003']);
    expect(codes('a: &x { b: *x }\n')).toEqual(['YAML003']);
  });
});
