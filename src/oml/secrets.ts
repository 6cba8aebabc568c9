// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
/**
 * Inline-secret scan over the OML as written (before params are resolved): secrets belong in
 * osiris_connections.yaml behind `${ENV_VAR}` and are referenced as `@family.alias`, never in a pipeline.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Registry } from '../registry/registry.js';
import { type DocPath, formatPath, isJsonObject, type JsonValue } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import { diag, OML } from './codes.js';
import { isDerived } from './load.js';

/** Secret-looking key names every project knows about (reference §2.1), lower-case. */
export const COMMON_SECRET_KEYS: readonly string[] = [
  'access_token',
  'anon_key',
  'api_key',
  'auth_token',
  'bearer_token',
  'client_key',
  'client_secret',
  'connection_string',
  'dsn',
  'key',
  'passwd',
  'password',
  'pwd',
  'refresh_token',
  'secret',
  'secret_key',
  'service_key',
  'service_role_key',
  'token',
];

/** Key names that look like secrets but are not. */
const NOT_SECRET = new Set(['primary_key', 'url']);

/** Common names ∪ the heads of every spec's `secrets`/`x-secret` pointers, lower-case and sorted. */
export function secretKeyNames(registry?: Registry): string[] {
  const all = new Set(COMMON_SECRET_KEYS);
  for (const k of registry?.allSecretKeys() ?? []) all.add(k.toLowerCase());
  for (const k of NOT_SECRET) all.delete(k);
  return [...all].sort();
}

const PARAM_REF = /\$\{params\.([^}]*)\}/;
const ANY_REF = /\$\{[^}]*\}/g;

/**
 * Every mapping key (at any depth) whose lower-case name is in `secretKeys` and whose value is a literal
 * (a non-empty string that is not only `${…}` references, or a number), or is taken from a `${params.…}`
 * placeholder (params are written into the manifest, so they cannot carry secrets). `primary_key` and `url`
 * are never secrets. Located at the value; the message never contains the value.
 *
 * Runs on the document as written: given a document with resolved params it scans the unresolved original.
 */
export function findInlineSecrets(doc: LocatedDocument, secretKeys: readonly string[]): Diagnostic[] {
  const source = isDerived(doc) ? doc.unresolved : doc;
  const names = new Set(secretKeys.map((k) => k.toLowerCase()));
  for (const k of NOT_SECRET) names.delete(k);
  const out: Diagnostic[] = [];
  const root = source.value;

  const stepIdOf = (path: DocPath): string | undefined => {
    if (path[0] !== 'steps' || typeof path[1] !== 'number' || !isJsonObject(root)) return undefined;
    const steps = root.steps;
    const step = Array.isArray(steps) ? steps[path[1]] : undefined;
    return isJsonObject(step) && typeof step.id === 'string' ? step.id : undefined;
  };

  const check = (key: string, value: JsonValue, path: DocPath): void => {
    if (!names.has(key.toLowerCase())) return;
    let why: string | undefined;
    if (typeof value === 'number') why = 'a literal value';
    else if (typeof value === 'string') {
      const param = PARAM_REF.exec(value)?.[1];
      if (param !== undefined)
        why = `a value taken from param '${param}' (params are written to the manifest)`;
      else if (value.replace(ANY_REF, '').trim() !== '') why = 'a literal value';
    }
    if (why === undefined) return;
    const where = formatPath(path);
    out.push(
      diag(
        OML.inlineSecret,
        `inline secret: '${where}' holds ${why}; secrets must not appear in OML`,
        source.locate(path, 'value'),
        {
          hint: "put it in osiris_connections.yaml as ${ENV_VAR} and reference the connection with connection: '@family.alias'",
          stepId: stepIdOf(path),
        },
      ),
    );
  };

  const walk = (value: JsonValue, path: DocPath): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    } else if (isJsonObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        check(key, child, [...path, key]);
        walk(child, [...path, key]);
      }
    }
  };

  if (root !== undefined) walk(root, []);
  return out;
}
