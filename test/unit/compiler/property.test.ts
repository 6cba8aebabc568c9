/**
 * Properties of the manifest identity: how an OML file is *written* (key order, indentation, flow vs block,
 * quoting, comments) never changes `manifest_hash` or a cfg byte; what it *says* (any config value) always does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Document, isMap, isScalar, isSeq, parse, Scalar, visit } from 'yaml';
import { type CompiledPipeline, compileDocument, renderBuild } from '../../../src/compiler/compile.js';
import { computeManifestHash, type Manifest } from '../../../src/compiler/manifest.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { canonicalJson } from '../../../src/util/canonical.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../../src/yaml/json.js';
import { parseLocatedYaml } from '../../../src/yaml/located.js';
import { FIXTURES, fixtureRegistry, makeProject } from './helpers.js';

const registry = fixtureRegistry();
const project = makeProject('/tmp/osiris-property-never-written');
const PIPELINES = ['orders-daily', 'movie-directors'].map((name) => ({
  name,
  text: readFileSync(join(FIXTURES, name, 'pipeline.yaml'), 'utf8'),
}));

const compileText = (text: string): Promise<CompiledPipeline> =>
  compileDocument(parseLocatedYaml(text, 'pipeline.yaml'), {
    project,
    registry,
    env: {},
    now: () => new Date('2025-01-01T00:00:00Z'),
  });

/** Small deterministic PRNG so one fast-check integer drives every layout choice (and shrinks). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleKeys(value: JsonValue, rnd: () => number): JsonValue {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd));
  if (!isJsonObject(value)) return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  const out: JsonObject = {};
  for (const k of keys) out[k] = shuffleKeys(value[k] as JsonValue, rnd);
  return out;
}

const QUOTED = [Scalar.PLAIN, Scalar.QUOTE_DOUBLE, Scalar.QUOTE_SINGLE] as const;
const ANY_STYLE = [...QUOTED, Scalar.BLOCK_LITERAL, Scalar.BLOCK_FOLDED] as const;

/** Whether a node sits inside a flow collection (where block scalars and comments are not allowed). */
const inFlow = (path: readonly unknown[]): boolean =>
  path.some((n) => (isMap(n) || isSeq(n)) && (n as { flow?: boolean }).flow === true);

/**
 * The same data written differently: shuffled keys, flow or block collections, any quoting style (block
 * scalars outside flow collections), comments, indentation 2–4.
 */
function rewrite(text: string, seed: number): string {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const doc = new Document(shuffleKeys(parse(text) as JsonValue, rnd));
  visit(doc, {
    Map(_, node, path) {
      if (inFlow(path)) return;
      if (path.length > 1 && rnd() < 0.2) node.commentBefore = ` comment ${Math.floor(rnd() * 1000)}`;
      else if (rnd() < 0.3) node.flow = true;
    },
    Seq(_, node, path) {
      if (!inFlow(path) && rnd() < 0.4) node.flow = true;
    },
    Pair(_, pair, path) {
      const flow = inFlow([...path, pair]);
      if (isScalar(pair.key)) pair.key.type = pick(QUOTED);
      if (isScalar(pair.value) && typeof pair.value.value === 'string') {
        pair.value.type = pick(flow ? QUOTED : ANY_STYLE);
      }
      if (!flow && isScalar(pair.value) && rnd() < 0.2) pair.value.comment = ' trailing';
    },
  });
  const out = doc.toString({ indent: 2 + Math.floor(rnd() * 3), lineWidth: 0 });
  return rnd() < 0.5 ? `# leading comment\n\n${out}` : out;
}

/** Every scalar leaf under some step's config: [step index, path below config]. */
function configLeaves(value: JsonValue): Array<{ step: number; path: (string | number)[] }> {
  const out: Array<{ step: number; path: (string | number)[] }> = [];
  const steps = isJsonObject(value) && Array.isArray(value.steps) ? value.steps : [];
  const walk = (v: JsonValue, step: number, path: (string | number)[]) => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i] as JsonValue, step, [...path, i]);
    } else if (isJsonObject(v)) for (const k of Object.keys(v)) walk(v[k] as JsonValue, step, [...path, k]);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      out.push({ step, path });
  };
  steps.forEach((s, i) => {
    if (isJsonObject(s) && isJsonObject(s.config)) walk(s.config, i, []);
  });
  return out;
}

function setIn(root: JsonValue, path: (string | number)[], value: JsonValue): void {
  let node = root as Record<string | number, JsonValue>;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, JsonValue>;
  node[path[path.length - 1] as string | number] = value;
}

function getIn(root: JsonValue, path: (string | number)[]): JsonValue {
  let node = root as JsonValue;
  for (const seg of path) node = (node as Record<string | number, JsonValue>)[seg] as JsonValue;
  return node;
}

describe.each(PIPELINES)('manifest_hash of $name', ({ text }) => {
  let base: CompiledPipeline;
  let baseFiles: ReturnType<typeof renderBuild>;
  beforeAll(async () => {
    base = await compileText(text);
    baseFiles = renderBuild(base).filter((f) => f.path !== 'manifest.yaml');
  });

  it('does not depend on key order, whitespace, comments or quoting', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const variant = rewrite(text, seed);
        seen.add(variant);
        expect(parseLocatedYaml(variant, 'v.yaml').errors).toEqual([]);
        const compiled = await compileText(variant);
        expect(compiled.manifest.meta.manifest_hash).toBe(base.manifest.meta.manifest_hash);
        expect(renderBuild(compiled).filter((f) => f.path !== 'manifest.yaml')).toEqual(baseFiles);
      }),
      { numRuns: 60 },
    );
    // The rewriter really produces different texts.
    expect(seen.size).toBeGreaterThan(50);
  });

  it('changes when any config value changes', async () => {
    const data = parse(text) as JsonValue;
    const leaves = configLeaves(data);
    expect(leaves.length).toBeGreaterThan(3);
    const change = fc.record({
      leaf: fc.constantFrom(...leaves),
      text: fc.string({ minLength: 1, maxLength: 12 }),
      delta: fc.integer({ min: 1, max: 1000 }),
      mode: fc.constantFrom('append', 'replace'),
    });
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(change, async ({ leaf, text: s, delta, mode }) => {
        const mutated = structuredClone(data);
        const path = ['steps', leaf.step, 'config', ...leaf.path];
        const old = getIn(mutated, path);
        let next: JsonValue;
        if (typeof old === 'string') next = mode === 'append' ? old + s : s;
        else if (typeof old === 'number') next = old + delta;
        else next = !old;
        fc.pre(next !== old);
        setIn(mutated, path, next);
        let compiled: CompiledPipeline;
        try {
          compiled = await compileText(new Document(mutated).toString());
        } catch (error) {
          // The new value broke the component's schema (e.g. an enum): not a valid pipeline, skip it.
          if (error instanceof OsirisError) return fc.pre(false);
          throw error;
        }
        expect(compiled.manifest.meta.manifest_hash).not.toBe(base.manifest.meta.manifest_hash);
        // …and the changed step's cfg fingerprint moved with it.
        const id = getIn(data, ['steps', leaf.step, 'id']);
        const cfgFp = (c: CompiledPipeline) => c.manifest.steps.find((x) => x.id === id)?.cfg_fp;
        expect(cfgFp(compiled)).not.toBe(cfgFp(base));
        checked++;
      }),
      { numRuns: 80 },
    );
    // Most random changes are valid: the property is not vacuous.
    expect(checked).toBeGreaterThan(40);
  });
});

describe('canonical YAML round trip', () => {
  it('any config string survives manifest.yaml → parse → same hash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 40, unit: 'binary' }),
        fc.string({ maxLength: 20 }),
        async (query, desc) => {
          // A NUL character is refused by the validator (OML047): no SQL can hold one.
          fc.pre(query.trim() !== '' && !query.includes('${') && !query.includes('\0'));
          const oml = {
            oml_version: '0.1.0',
            name: 'roundtrip',
            description: desc,
            steps: [{ id: 'q', component: 'duckdb.processor', mode: 'transform', config: { query } }],
          };
          const compiled = await compileText(JSON.stringify(oml));
          const yamlText = renderBuild(compiled).find((f) => f.path === 'manifest.yaml')?.content as string;
          const reparsed = parse(yamlText) as Manifest;
          expect(canonicalJson(reparsed)).toBe(canonicalJson(compiled.manifest));
          expect(computeManifestHash(reparsed)).toBe(compiled.manifest.meta.manifest_hash);
        },
      ),
      { numRuns: 200 },
    );
  });
});
