/**
 * From a position inside a SQL string to the YAML file's line:col. The SQL is a YAML scalar — plain, quoted,
 * literal `|` or folded `>` — whose value differs from its source text by quotes, indentation, folded line
 * breaks and escapes. The value's characters appear in the source in the same order, so walking both and
 * skipping source characters that are not the next value character lands on the right source offset for
 * every character that is not whitespace (a SQL error points at a name or keyword). Where that does not hold
 * — escapes in double quotes, a `${params.…}` placeholder before the position — the answer is undefined and
 * the caller falls back to the scalar's start.
 */
import { isScalar, type Node, Scalar } from 'yaml';
import type { SourceLocation } from '../diagnostics/diagnostic.js';
import type { DocPath } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';

/**
 * The file location of character `index` of the string at `path`, or undefined when it cannot be mapped
 * exactly. `index` counts UTF-16 code units of the resolved value.
 */
export function locateInScalar(
  doc: LocatedDocument,
  path: DocPath,
  index: number,
): SourceLocation | undefined {
  const source = doc.source;
  if (!doc.nodeAt || !doc.position || source === undefined) return undefined;
  const node = doc.nodeAt(path);
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  const written = node.value;
  // The resolved value (params substituted) must agree with the text as written up to the position.
  const resolved = resolvedString(doc, path) ?? written;
  if (resolved.slice(0, index + 1) !== written.slice(0, index + 1)) return undefined;
  if (node.type === Scalar.QUOTE_DOUBLE && source.slice(node.range[0], node.range[1]).includes('\\'))
    return undefined;
  const offset = align(written, index, source, contentStart(node, source), node.range[1]);
  if (offset === undefined) return undefined;
  const { line, col } = doc.position(offset);
  return { file: doc.file, line, col };
}

/** The string at `path` in the resolved document (what the run will execute). */
function resolvedString(doc: LocatedDocument, path: DocPath): string | undefined {
  let value: unknown = doc.value;
  for (const seg of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[seg];
  }
  return typeof value === 'string' ? value : undefined;
}

/** Where the value's text starts: after the opening quote, or on the line after a block scalar's header. */
function contentStart(node: Node, source: string): number {
  const start = (node.range as [number, number, number])[0];
  if (isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED)) {
    const eol = source.indexOf('\n', start);
    return eol < 0 ? start : eol + 1;
  }
  if (isScalar(node) && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE))
    return start + 1;
  return start;
}

/**
 * Walks `value[0..index]` through `source[from..to)`: equal characters advance both, any other source
 * character (indentation, a line break folded into a space, a doubled quote) is skipped. Undefined when the
 * source runs out first.
 */
function align(value: string, index: number, source: string, from: number, to: number): number | undefined {
  let s = from;
  for (let v = 0; v <= index && v < value.length; v++) {
    const ch = value[v];
    while (s < to && source[s] !== ch) {
      // A value character that is whitespace may come from a folded line break: let it match one.
      if (ch === ' ' && source[s] === '\n') break;
      s++;
    }
    if (s >= to) return undefined;
    if (v === index) return s;
    s++;
  }
  return undefined;
}
