/**
 * YAML parsing that remembers where every node came from, so diagnostics can point at file:line:col.
 * Parsing is bounded: duplicate keys are found in linear time, and a document nested too deeply or whose
 * aliases are unresolved or explode is rejected with a located error before anything walks it (bounds.ts).
 */
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
} from 'yaml';
import { type Diagnostic, diagnostic, type SourceLocation } from '../diagnostics/diagnostic.js';
import { checkBounds, MAX_DEPTH } from './bounds.js';
import { type DocPath, formatPath, type JsonValue } from './json.js';

export interface LocatedDocument {
  /** The file name used in diagnostics. */
  file: string;
  /** The parsed value (plain JSON); undefined when the text did not parse. */
  value: JsonValue | undefined;
  /** YAML syntax errors (and duplicate keys, excessive nesting, bad aliases), already located. */
  errors: Diagnostic[];
  /**
   * Where `path` is in the source: the key of the last segment (`key`) or its value (`value`).
   * A path that does not exist resolves to its deepest existing ancestor.
   */
  locate(path: DocPath, which?: 'key' | 'value'): SourceLocation;
  /** The YAML node at `path` (undefined when the path does not exist as written); for source mapping. */
  nodeAt?(path: DocPath): Node | undefined;
  /** 1-based line and column of a source offset. */
  position?(offset: number): { line: number; col: number };
  /** The source text (offsets of `nodeAt` ranges index it). */
  source?: string;
}

export function parseLocatedYaml(text: string, file: string): LocatedDocument {
  const lineCounter = new LineCounter();
  // uniqueKeys is checked in bounds.ts: the package's own check compares every key with every other.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });

  const at = (offset: number | undefined): { line?: number; col?: number } => {
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };

  let errors: Diagnostic[] = [];
  let tooDeep = false;
  for (const err of doc.errors) {
    // The package catches its own stack overflow on deep nesting and reports it as RESOURCE_EXHAUSTION.
    if (err.code === 'RESOURCE_EXHAUSTION') {
      if (tooDeep) continue;
      tooDeep = true;
      errors.push(
        diagnostic(
          'error',
          'YAML002',
          `the document nests more than ${MAX_DEPTH} levels deep`,
          { file, ...at(err.pos[0]) },
          { hint: 'flatten the structure; OML needs only a few levels' },
        ),
      );
      continue;
    }
    const message = err.message.split('\n')[0] ?? err.message;
    errors.push(
      diagnostic(
        'error',
        'YAML001',
        `invalid YAML: ${message}`,
        { file, ...at(err.pos[0]) },
        {
          hint: 'fix the YAML syntax',
        },
      ),
    );
  }
  if (errors.length === 0) {
    errors = checkBounds(doc).map((p) => {
      const first = p.firstOffset !== undefined ? at(p.firstOffset).line : undefined;
      const message = first !== undefined ? `${p.message} (first at line ${first})` : p.message;
      return diagnostic('error', p.code, message, { file, ...at(p.offset) }, { hint: p.hint });
    });
  }

  let value: JsonValue | undefined;
  if (errors.length === 0) {
    // Depth and alias expansion are bounded above, so the package's recursive conversion is safe.
    value = (doc.toJS({ maxAliasCount: -1 }) ?? null) as JsonValue;
  }

  const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, seg: string | number): Pair | undefined => {
    let index = keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) {
        if (!isPair(p) || !isScalar(p.key)) continue;
        const name = String(p.key.value);
        if (!index.has(name)) index.set(name, p);
      }
      keyIndex.set(map, index);
    }
    return index.get(String(seg));
  };

  /** Walks `path` as far as it exists: the last node reached, and where to point for it. */
  const walk = (path: DocPath, which: 'key' | 'value') => {
    let node: unknown = doc.contents;
    let best: number | undefined = (doc.contents as Node | null)?.range?.[0];
    let complete = true;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] as string | number;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = pairOf(node, seg);
        if (!pair) {
          complete = false;
          break;
        }
        const keyNode = pair.key as Node;
        const valueNode = pair.value as Node | null;
        if (last && which === 'key') best = keyNode.range?.[0] ?? best;
        else best = valueNode?.range?.[0] ?? keyNode.range?.[0] ?? best;
        node = valueNode;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) {
          complete = false;
          break;
        }
        best = item.range?.[0] ?? best;
        node = item;
      } else {
        complete = false;
        break;
      }
    }
    return { node: complete ? (node as Node | undefined) : undefined, best };
  };

  const locate = (path: DocPath, which: 'key' | 'value' = 'key'): SourceLocation => ({
    file,
    ...at(walk(path, which).best),
    path: formatPath(path),
  });
  const nodeAt = (path: DocPath): Node | undefined => walk(path, 'value').node ?? undefined;
  const position = (offset: number) => lineCounter.linePos(offset);

  return { file, value, errors, locate, nodeAt, position, source: text };
}
