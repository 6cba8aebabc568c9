/**
 * Human-oriented facts derived from a spec: config fields with their type, default, required flag,
 * connection policy and secrecy, plus the cross-field rules. Shared by `osiris components show` and the
 * generated components reference, so both say the same thing.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import { omlModesOf, pointerHead, type Registry } from './registry.js';
import type { ComponentSpec, OmlMode, OverridePolicy } from './types.js';

export interface FieldInfo {
  name: string;
  /** Compact type: `string`, `integer`, `string[]`, `string | string[]`, `append | replace | upsert`. */
  type: string;
  required: boolean;
  /** Present when the schema declares a default. */
  default?: JsonValue;
  description: string;
  /** Set when a connection provides the field. */
  connection?: OverridePolicy;
  /** The field holds a secret (a `secrets` / `x-secret` pointer names it). */
  secret: boolean;
}

export interface ComponentSummary {
  name: string;
  version: string;
  title: string | undefined;
  description: string;
  modes: string[];
  omlModes: OmlMode[];
  runnable: boolean;
}

function typeOf(schema: JsonValue | undefined): string {
  if (!isJsonObject(schema)) return 'any';
  if (Array.isArray(schema.enum))
    return schema.enum.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) return [...new Set(list.map(typeOf))].join(' | ');
  }
  const t = schema.type;
  if (Array.isArray(t))
    return t.map((x) => (x === 'array' ? `${typeOf(schema.items)}[]` : String(x))).join(' | ');
  if (t === 'array') return `${typeOf(schema.items)}[]`;
  if (typeof t === 'string') return t;
  if (isJsonObject(schema.properties)) return 'object';
  return 'any';
}

/** Config fields in declaration order. */
export function describeFields(registry: Registry, name: string): FieldInfo[] {
  const spec = registry.get(name)?.spec;
  if (!spec) return [];
  const required = new Set(spec.configSchema.required ?? []);
  const policies = new Map(registry.connectionFields(name).map((f) => [f.name, f.override]));
  const secrets = new Set(
    [...(spec.secrets ?? []), ...(spec['x-secret'] ?? [])]
      .filter((p) => p.split('/').length === 2)
      .map(pointerHead),
  );
  return Object.entries(spec.configSchema.properties).map(([field, schema]) => {
    const info: FieldInfo = {
      name: field,
      type: typeOf(schema),
      required: required.has(field),
      description: typeof schema.description === 'string' ? schema.description.trim() : '',
      secret: secrets.has(field),
    };
    if ('default' in schema) info.default = schema.default as JsonValue;
    const policy = policies.get(field);
    if (policy) info.connection = policy;
    return info;
  });
}

const quoteList = (names: readonly JsonValue[]): string => names.map((n) => `\`${String(n)}\``).join(', ');

/** Cross-field rules stated by the config schema and the declarative constraints, as sentences. */
export function describeRules(spec: ComponentSpec): string[] {
  const out: string[] = [];
  const cs = spec.configSchema as JsonObject;
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = cs[key];
    if (!Array.isArray(list)) continue;
    const groups = list.map((s) => (isJsonObject(s) && Array.isArray(s.required) ? s.required : undefined));
    if (groups.every((g) => g?.length === 1)) {
      const names = groups.map((g) => (g as JsonValue[])[0] as JsonValue);
      out.push(`${key === 'oneOf' ? 'Exactly one' : 'At least one'} of ${quoteList(names)} must be set.`);
    }
  }
  if (isJsonObject(cs.dependentRequired)) {
    for (const [field, needs] of Object.entries(cs.dependentRequired)) {
      if (Array.isArray(needs)) out.push(`\`${field}\` needs ${quoteList(needs)}.`);
    }
  }
  const ifs = cs.if;
  const then = cs.then;
  if (
    isJsonObject(ifs) &&
    isJsonObject(then) &&
    isJsonObject(ifs.properties) &&
    Array.isArray(then.required)
  ) {
    const conds = Object.entries(ifs.properties)
      .filter(([, s]) => isJsonObject(s) && 'const' in s)
      .map(([f, s]) => `\`${f}\` is \`${String((s as JsonObject).const)}\``);
    if (conds.length > 0) out.push(`When ${conds.join(' and ')}, ${quoteList(then.required)} must be set.`);
  }
  const constraints = spec.constraints;
  if (out.length === 0 && isJsonObject(constraints) && Array.isArray(constraints.required)) {
    for (const rule of constraints.required) {
      if (isJsonObject(rule) && typeof rule.error === 'string') out.push(rule.error);
    }
  }
  return out;
}

export function summarize(registry: Registry, name: string): ComponentSummary | undefined {
  const c = registry.get(name);
  if (!c) return undefined;
  return {
    name: c.spec.name,
    version: c.spec.version,
    title: c.spec.title,
    description: (c.spec.description ?? '').trim(),
    modes: [...c.spec.modes],
    omlModes: omlModesOf(c.spec),
    runnable: c.driverPath !== undefined,
  };
}
