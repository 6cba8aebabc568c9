/**
 * Canonical serialisation: mapping keys sorted at every level, lists in order, no insignificant whitespace,
 * UTF-8 kept as is. Equal values always serialise to equal bytes, which is what fingerprints hash.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { JsonValue } from '../yaml/json.js';

/** Deep copy with mapping keys sorted; `undefined` members dropped. */
export function sortKeysDeep(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeysDeep(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return (value ?? null) as JsonValue;
}

/** Compact canonical JSON. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}

/** Canonical YAML: block style, sorted keys, `---`/`...` markers, LF, trailing newline. */
export function canonicalYaml(value: unknown): string {
  const body = stringify(sortKeysDeep(value), {
    lineWidth: 120,
    minContentWidth: 0,
    sortMapEntries: true,
    aliasDuplicateObjects: false,
    directives: false,
  });
  return `---\n${body}...\n`;
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `sha256:<hex>` of the canonical JSON of a value (strings are hashed as their bytes). */
export function fingerprint(value: unknown): string {
  return `sha256:${sha256Hex(typeof value === 'string' ? value : canonicalJson(value))}`;
}
