/**
 * Structural checks of a parsed YAML tree that keep every later walker safe and linear: duplicate keys (one
 * Set per mapping — the `yaml` package's own `uniqueKeys` check is quadratic), nesting depth, and aliases
 * (unresolved, self-containing, or expanding into far more data than the file holds). Everything here is
 * iterative, so no input depth can overflow the stack; every problem comes with the source offset to report.
 */
import { type Document, isAlias, isMap, isNode, isPair, isScalar, isSeq, type Node } from 'yaml';

/** Deeper than this is rejected: real OML is under 10 levels, and every recursive walker is safe at this. */
export const MAX_DEPTH = 100;
/** How many nodes aliases may add to the document when expanded (a billion-laughs file adds billions). */
export const MAX_ALIAS_EXPANSION = 100_000;

export interface BoundsProblem {
  code: 'YAML001' | 'YAML002' | 'YAML003';
  message: string;
  hint: string;
  /** Source offset of the node to point at. */
  offset: number | undefined;
  /** For a duplicate key: where the key first appears. */
  firstOffset?: number;
}

const start = (node: unknown): number | undefined => (isNode(node) ? (node as Node).range?.[0] : undefined);

/** Children in document order: a pair's key then value, a collection's items. */
function children(node: unknown): unknown[] {
  if (isMap(node) || isSeq(node)) return node.items as unknown[];
  if (isPair(node)) return [node.key, node.value];
  return [];
}

/**
 * First pass, pre-order (document order): duplicate keys, depth as written, and which node each alias names
 * (the nearest anchor of that name before it, as YAML defines — an ancestor counts).
 */
function scan(contents: unknown, out: BoundsProblem[]): Map<Node, Node> | undefined {
  const anchors = new Map<string, Node>();
  const targets = new Map<Node, Node>();
  const stack: Array<{ node: unknown; depth: number }> = [{ node: contents, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || node === undefined) continue;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) {
        out.push({
          code: 'YAML003',
          message: `alias '*${node.source}' names no anchor defined before it`,
          hint: `define '&${node.source}' on an earlier node, or fix the name`,
          offset: start(node),
        });
        return undefined;
      }
      targets.set(node, target);
      continue;
    }
    if (isNode(node) && typeof node.anchor === 'string') anchors.set(node.anchor, node);
    if (isMap(node) || isSeq(node)) {
      if (depth > MAX_DEPTH) {
        out.push({
          code: 'YAML002',
          message: `the document nests more than ${MAX_DEPTH} levels deep`,
          hint: 'flatten the structure; OML needs only a few levels',
          offset: start(node),
        });
        return undefined;
      }
      if (isMap(node)) checkDuplicates(node.items, out);
    }
    const next = isPair(node) ? depth : depth + 1;
    const list = children(node);
    for (let i = list.length - 1; i >= 0; i--) stack.push({ node: list[i], depth: next });
  }
  return out.length > 0 ? undefined : targets;
}

function checkDuplicates(items: readonly unknown[], out: BoundsProblem[]): void {
  const seen = new Map<string, number | undefined>();
  for (const pair of items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const at = start(pair.key);
    if (seen.has(name)) {
      const first = seen.get(name);
      out.push({
        code: 'YAML001',
        message: `duplicate key '${name}'`,
        hint: 'remove or rename the repeated key',
        offset: at,
        ...(first !== undefined ? { firstOffset: first } : {}),
      });
    } else seen.set(name, at);
  }
}

/**
 * Second pass, post-order with memo over the tree plus alias edges: the depth and size the document has once
 * aliases are expanded. Linear in the number of nodes, whatever the expansion.
 */
function expansion(contents: unknown, targets: ReadonlyMap<Node, Node>, out: BoundsProblem[]): void {
  const memo = new Map<unknown, { depth: number; size: number }>();
  const active = new Set<unknown>();
  let written = 0;
  let worst: { alias: Node; size: number; depth: number } | undefined;
  const stack: Array<{ node: unknown; entered: boolean; via?: Node }> = [{ node: contents, entered: false }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as { node: unknown; entered: boolean; via?: Node };
    const node = frame.node;
    if (node === null || node === undefined || memo.has(node)) {
      stack.pop();
      continue;
    }
    if (isAlias(node)) {
      const target = targets.get(node) as Node;
      if (active.has(target)) {
        out.push({
          code: 'YAML003',
          message: `alias '*${node.source}' refers to a node that contains it (the data would be infinite)`,
          hint: 'refer to a node defined outside this one',
          offset: start(node),
        });
        return;
      }
      const done = memo.get(target);
      if (!done) {
        stack.push({ node: target, entered: false });
        continue;
      }
      stack.pop();
      memo.set(node, done);
      if (!worst || done.size > worst.size || done.depth > worst.depth)
        worst = { alias: node, size: done.size, depth: done.depth };
      continue;
    }
    const list = children(node);
    if (!frame.entered) {
      frame.entered = true;
      written++;
      active.add(node);
      for (let i = list.length - 1; i >= 0; i--) stack.push({ node: list[i], entered: false });
      continue;
    }
    stack.pop();
    active.delete(node);
    let depth = 0;
    let size = 1;
    for (const child of list) {
      const c = memo.get(child);
      if (!c) continue;
      depth = Math.max(depth, c.depth);
      size += c.size;
    }
    memo.set(node, { depth: isPair(node) ? depth : depth + 1, size });
  }
  const root = memo.get(contents);
  if (!root || !worst) return;
  if (root.depth > MAX_DEPTH) {
    out.push({
      code: 'YAML002',
      message: `through its aliases, the document nests more than ${MAX_DEPTH} levels deep`,
      hint: 'flatten the structure; OML needs only a few levels',
      offset: start(worst.alias),
    });
  } else if (root.size - written > MAX_ALIAS_EXPANSION) {
    out.push({
      code: 'YAML003',
      message: `aliases expand the document by more than ${MAX_ALIAS_EXPANSION} nodes (${root.size} in all, from ${written} written)`,
      hint: 'write the data out instead of nesting aliases of aliases',
      offset: start(worst.alias),
    });
  }
}

/** Every bound a parsed document breaks (empty when it is safe to convert and walk). */
export function checkBounds(doc: Document.Parsed): BoundsProblem[] {
  const out: BoundsProblem[] = [];
  const targets = scan(doc.contents, out);
  if (targets && targets.size > 0) expansion(doc.contents, targets, out);
  return out;
}
