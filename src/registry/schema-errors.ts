/**
 * Turns ajv errors into located, friendly diagnostics: which field, what was expected, how to fix it.
 * Generic over the validated document, so spec files, example configs and step configs can share it.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { type Diagnostic, diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { type DocPath, formatPath, isJsonObject } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';

export interface SchemaErrorContext {
  /** The parsed document, for file:line:col. */
  doc: LocatedDocument;
  /** Where the validated value sits inside `doc` (`[]` for the whole document). */
  basePath: DocPath;
  /** The validated value: tells list indexes apart from mapping keys in ajv's instance paths. */
  instance: unknown;
  /** Diagnostic code for every error. */
  code: string;
  /** Prepended to each message, e.g. `example 2 ('Upsert'): `. */
  prefix?: string;
  /** Extra, field-specific hint; falls back to a generic one per keyword. */
  hintFor?: (path: DocPath, error: ErrorObject) => string | undefined;
}

/** `/a/0/b~1c` → `['a', 0, 'b/c']`, with numbers only where the value at that point is a list. */
export function pointerToPath(pointer: string, instance: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = instance;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(seg)) {
      const index = Number(seg);
      out.push(index);
      node = node[index];
    } else {
      out.push(seg);
      node = isJsonObject(node) ? node[seg] : undefined;
    }
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

const TYPE_HINTS: Record<string, string> = {
  string: 'write text (quote it if it looks like a number, a date or yes/no)',
  integer: 'write a whole number without quotes, e.g. 1000',
  number: 'write a number without quotes',
  boolean: 'write true or false without quotes',
  array: 'write a YAML list (one `- item` per line) or [a, b]',
  object: 'write a mapping: one `key: value` per line, indented under the field',
};

function allowedKeys(error: ErrorObject): string[] {
  const props = error.parentSchema?.properties;
  return isJsonObject(props) ? Object.keys(props).sort() : [];
}

/** One diagnostic per ajv error (minus the noise of `if`/`then` wrappers), located in the document. */
export function schemaErrorsToDiagnostics(
  errors: readonly ErrorObject[] | null | undefined,
  ctx: SchemaErrorContext,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    if (error.keyword === 'if') continue;
    const rel = pointerToPath(error.instancePath, ctx.instance);
    const path = [...ctx.basePath, ...rel];
    const field = formatPath(path);
    const data = error.data;
    let message: string;
    let hint: string | undefined;
    let where = ctx.doc.locate(path, 'value');
    const params = error.params as Record<string, unknown>;

    switch (error.keyword) {
      case 'required': {
        const missing = String(params.missingProperty);
        message = `missing required field '${missing}'${rel.length || ctx.basePath.length ? ` in '${field}'` : ''}`;
        hint = `add '${missing}'`;
        where = ctx.doc.locate(path, path.length ? 'key' : 'value');
        break;
      }
      case 'additionalProperties': {
        const extra = String(params.additionalProperty);
        const allowed = allowedKeys(error);
        message = `unknown field '${extra}'${path.length ? ` in '${field}'` : ''}`;
        hint =
          didYouMean(extra, allowed) ??
          (allowed.length ? `allowed fields: ${allowed.join(', ')}` : 'remove it');
        where = ctx.doc.locate([...path, extra], 'key');
        break;
      }
      case 'type': {
        const expected = String(params.type)
          .split(',')
          .map((t) => TYPE_WORDS[t] ?? t)
          .join(' or ');
        message = `'${field}' must be ${expected}, not ${typeName(data)}`;
        hint = TYPE_HINTS[String(params.type).split(',')[0] ?? ''];
        break;
      }
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map(String);
        message = `'${field}' must be one of ${allowed.join(', ')}; got ${show(data)}`;
        hint = (typeof data === 'string' && didYouMean(data, allowed)) || `use one of: ${allowed.join(', ')}`;
        break;
      }
      case 'const':
        message = `'${field}' must be ${show(params.allowedValue)}; got ${show(data)}`;
        hint = `set it to ${show(params.allowedValue)}`;
        break;
      case 'pattern':
        message = `'${field}' has the wrong form: ${show(data)}`;
        hint = `it must match the regular expression ${String(params.pattern)}`;
        break;
      case 'format':
        message = `'${field}' must be a valid ${String(params.format)}; got ${show(data)}`;
        break;
      case 'minItems':
        message = `'${field}' must list at least ${String(params.limit)} item(s)`;
        break;
      case 'maxItems':
        message = `'${field}' may list at most ${String(params.limit)} item(s)`;
        hint = 'keep the most useful ones';
        break;
      case 'minLength':
        message = `'${field}' must be at least ${String(params.limit)} character(s) long`;
        break;
      case 'maxLength':
        message = `'${field}' must be at most ${String(params.limit)} characters long (it has ${typeof data === 'string' ? data.length : '?'})`;
        hint = 'shorten it';
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        message = `'${field}' must be ${String(params.comparison)} ${String(params.limit)}; got ${show(data)}`;
        break;
      case 'uniqueItems':
        message = `'${field}' lists the same value twice (items ${String(params.j)} and ${String(params.i)})`;
        hint = 'remove the duplicate';
        break;
      case 'oneOf':
        message =
          Array.isArray(params.passingSchemas) && params.passingSchemas.length > 1
            ? `'${field}' matches more than one of the allowed forms`
            : `'${field}' does not match any of the allowed forms`;
        break;
      case 'anyOf':
        message = `'${field}' does not match any of the allowed forms`;
        break;
      case 'not':
        message = `'${field}' has a combination of values that is not allowed`;
        break;
      default:
        message = `'${field}' ${error.message ?? 'is invalid'}`;
    }
    hint = ctx.hintFor?.(path, error) ?? hint;
    const d = diagnostic('error', ctx.code, `${ctx.prefix ?? ''}${message}`, where, hint ? { hint } : {});
    const key = `${d.location.path}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
