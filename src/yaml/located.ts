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

  return { file, value, errors, locate };
}
