/** Shared checks for AIOP tests: schema validation and evidence-id integrity. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import type { AiopDocument } from '../../../src/observability/aiop/types.js';

const SCHEMA_PATH = fileURLToPath(new URL('../../../src/observability/aiop/schema.json', import.meta.url));

let validator: ValidateFunction | undefined;

export function aiopSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
}

/** Validates an exported document (object or JSON text) against schema.json; fails the test with ajv's errors. */
export function expectValidAiop(doc: unknown): AiopDocument {
  validator ??= new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(aiopSchema());
  const value = typeof doc === 'string' ? (JSON.parse(doc) as unknown) : doc;
  const ok = validator(value);
  if (!ok) expect(validator.errors, 'AIOP document does not match schema.json').toEqual([]);
  return value as AiopDocument;
}

/** Every `@id` in the document (any depth), in document order. */
export function allIds(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) allIds(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '@id' && typeof v === 'string') out.push(v);
      else allIds(v, out);
    }
  }
  return out;
}

/** Every narrative sentence cites at least one id, and every cited id exists in the document. */
export function expectNarrativeCitesResolve(doc: AiopDocument): void {
  const ids = new Set(allIds(doc));
  let sentences = 0;
  for (const p of doc.narrative.paragraphs) {
    for (const s of p.sentences) {
      sentences++;
      expect(s.cites.length, `uncited sentence: ${s.text}`).toBeGreaterThan(0);
      for (const c of s.cites) expect(ids.has(c), `citation ${c} resolves (sentence: ${s.text})`).toBe(true);
      expect(p.text).toContain(`[${s.cites.join(', ')}]`);
    }
  }
  expect(sentences).toBeGreaterThan(3);
}
