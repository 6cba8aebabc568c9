/**
 * YAML parsing that remembers where every node came from, so diagnostics can point at file:line:col.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { type Diagnostic, diagnostic, type SourceLocation } from '../diagnostics/diagnostic.js';
import { type DocPath, formatPath, type JsonValue } from './json.js';

export interface LocatedDocument {
  /** The file name used in diagnostics. */
  file: string;
  /** The parsed value (plain JSON); undefined when the text did not parse. */
  value: JsonValue | undefined;
  /** YAML syntax errors (and duplicate keys), already located. */
  errors: Diagnostic[];
  /**
   * Where `path` is in the source: the key of the last segment (`key`) or its value (`value`).
   * A path that does not exist resolves to its deepest existing ancestor.
   */
  locate(path: DocPath, which?: 'key' | 'value'): SourceLocation;
  /**
   * Where character `offset` of the string at `path` is in the source, when the scalar there still reads
   * `value` and its text maps one to one (a literal block `|`, or a one-line plain or quoted scalar without
   * escapes); undefined otherwise (the caller falls back to `locate`).
   */
  locateInString?(path: DocPath, value: string, offset: number): SourceLocation | undefined;
}

export function parseLocatedYaml(text: string, file: string): LocatedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });

  const at = (offset: number | undefined): { line?: number; col?: number } => {
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };

  const errors = doc.errors.map((err) => {
    const message = err.message.split('\n')[0] ?? err.message;
    return diagnostic(
      'error',
      'YAML001',
      `invalid YAML: ${message}`,
      { file, ...at(err.pos[0]) },
      {
        hint: err.code === 'DUPLICATE_KEY' ? 'remove or rename the repeated key' : 'fix the YAML syntax',
      },
    );
  });

  let value: JsonValue | undefined;
  if (errors.length === 0) {
    value = (doc.toJS({ maxAliasCount: 1000 }) ?? null) as JsonValue;
  }

  const locate = (path: DocPath, which: 'key' | 'value' = 'key'): SourceLocation => {
    let node: unknown = doc.contents;
    let best: number | undefined = (doc.contents as Node | null)?.range?.[0];
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) break;
        const keyNode = pair.key as Node;
        const valueNode = pair.value as Node | null;
        if (last && which === 'key') {
          best = keyNode.range?.[0] ?? best;
        } else {
          best = valueNode?.range?.[0] ?? keyNode.range?.[0] ?? best;
        }
        node = valueNode;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) break;
        best = item.range?.[0] ?? best;
        node = item;
      } else {
        break;
      }
    }
    return { file, ...at(best), path: formatPath(path) };
  };

  /** The value node at `path`, if every segment exists. */
  const nodeAt = (path: DocPath): unknown => {
    let node: unknown = doc.contents;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        node = pair?.value;
      } else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
      else return undefined;
    }
    return node;
  };

  const locateInString = (path: DocPath, expected: string, offset: number): SourceLocation | undefined => {
    const node = nodeAt(path);
    if (!isScalar(node) || node.value !== expected || node.range === undefined || node.range === null) return;
    const start = node.range[0];
    const before = expected.slice(0, offset);
    const lineIndex = before.split('\n').length - 1;
    const colInLine = Array.from(before.slice(before.lastIndexOf('\n') + 1)).length;
    if (node.type === 'BLOCK_LITERAL') {
      // Content starts on the line after the `|` header, every value line one source line, indented alike.
      const header = lineCounter.linePos(start).line;
      const firstLine = text
        .slice(text.indexOf('\n', start) + 1)
        .split('\n')
        .find((l) => l.trim() !== '');
      const indent = firstLine === undefined ? 0 : firstLine.length - firstLine.trimStart().length;
      return { file, line: header + 1 + lineIndex, col: indent + colInLine + 1, path: formatPath(path) };
    }
    const source = text.slice(start, node.range[1]);
    const quoted = node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE' ? 1 : 0;
    if (expected.includes('\n') || source.slice(quoted, source.length - quoted) !== expected) return;
    return { file, ...at(start + quoted + offset), path: formatPath(path) };
  };

  return { file, value, errors, locate, locateInString };
}
