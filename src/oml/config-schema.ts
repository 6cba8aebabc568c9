/**
 * Step config against the component's configSchema: unknown keys, connection-field overrides, required keys
 * and every value rule of the JSON Schema (types, enums, ranges, lengths, patterns, formats, nested shapes),
 * plus the write-mode rules. Validation uses ajv (JSON Schema 2020-12).
 *
 * `${params.x}` placeholders: a string value that still contains one is accepted for any schema rule — it is
 * checked once params are resolved (`osiris validate` and `osiris compile` always validate the resolved OML).
 */
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { isBuildChecked } from '../registry/build-checked.js';
import type { ComponentSpec, ConnectionField } from '../registry/types.js';
import { newAjv } from '../util/ajv.js';
import { type DocPath, formatPath, isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import { diag, OML } from './codes.js';

/** Write modes OML understands; `replace` swaps a staging table and needs no primary key. */
export const WRITE_MODES: readonly string[] = ['append', 'replace', 'upsert'];
/** Config keys that name the key columns of an upsert. */
export const PRIMARY_KEY_FIELDS: readonly string[] = ['primary_key', 'upsert_keys'];

export const hasParamPlaceholder = (value: unknown): boolean =>
  typeof value === 'string' && value.includes('${params.');

/** Formats step configs may use (ajv-formats is not a dependency; unknown formats are ignored). */
export const CONFIG_FORMATS: Record<string, (s: string) => boolean> = {
  uri: (s) => /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/.test(s),
  email: (s) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)),
  'date-time': (s) =>
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/.test(s) &&
    !Number.isNaN(Date.parse(s)),
};

/** An Ajv with `CONFIG_FORMATS`. */
function configAjv(options: { validateSchema: boolean }): Ajv2020 {
  const ajv = newAjv({ allErrors: true, strict: false, logger: false, verbose: true, ...options });
  for (const [name, validate] of Object.entries(CONFIG_FORMATS))
    ajv.addFormat(name, { type: 'string', validate });
  return ajv;
}

/** For user specs: a configSchema that is not valid JSON Schema fails to compile, with Ajv's reason. */
let checking: Ajv2020 | undefined;
/** For built-in specs the build already checked (see registry/build-checked.ts). */
let trusting: Ajv2020 | undefined;
function ajvFor(spec: ComponentSpec): Ajv2020 {
  if (isBuildChecked(spec)) {
    trusting ??= configAjv({ validateSchema: false });
    return trusting;
  }
  checking ??= configAjv({ validateSchema: true });
  return checking;
}

/**
 * The built-in components' step-config validators, compiled to code at build time (scripts/copy-assets.mjs):
 * one CommonJS file per component, by `validatorKey`, required the first time a step of that component is
 * checked. Absent when running from src/ (and for a schema with a custom format).
 */
const precompiled = new Map<string, Record<string, ValidateFunction> | undefined>();
function precompiledValidator(component: string, key: string): ValidateFunction | undefined {
  if (!precompiled.has(component)) {
    let byKey: Record<string, ValidateFunction> | undefined;
    try {
      const file = `../components/${component}/config-validators.cjs`;
      byKey = (createRequire(import.meta.url)(file) as { byKey?: Record<string, ValidateFunction> }).byKey;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    }
    precompiled.set(component, byKey);
  }
  return precompiled.get(component)?.[key];
}

const compiled = new WeakMap<ComponentSpec, Map<string, ValidateFunction | Error>>();

/** Which variant of a component's validator: the required keys a `@connection` provides, sorted. */
export function validatorKey(notRequired: readonly string[]): string {
  return [...notRequired].sort().join(',');
}

/** The schema a step is checked against: unknown top-level keys are reported separately (with hints), and
 *  fields a `@connection` provides are dropped from `required` when the step references one. */
export function stepConfigSchema(spec: ComponentSpec, notRequired: readonly string[]): JsonObject {
  const schema: JsonObject = { ...spec.configSchema };
  delete schema.additionalProperties;
  delete schema.unevaluatedProperties;
  delete schema.$schema;
  delete schema.$id;
  if (Array.isArray(schema.required)) {
    schema.required = schema.required.filter((r) => typeof r === 'string' && !notRequired.includes(r));
  }
  return schema;
}

function validatorFor(spec: ComponentSpec, notRequired: readonly string[]): ValidateFunction | Error {
  const key = validatorKey(notRequired);
  const built = isBuildChecked(spec) ? precompiledValidator(spec.name, key) : undefined;
  if (built) return built;
  let bySpec = compiled.get(spec);
  if (!bySpec) {
    bySpec = new Map();
    compiled.set(spec, bySpec);
  }
  const cached = bySpec.get(key);
  if (cached) return cached;
  let result: ValidateFunction | Error;
  try {
    result = ajvFor(spec).compile(stepConfigSchema(spec, notRequired));
  } catch (error) {
    result = error instanceof Error ? error : new Error(String(error));
  }
  bySpec.set(key, result);
  return result;
}

export interface StepConfigCheck {
  doc: LocatedDocument;
  spec: ComponentSpec;
  /** Fields a connection provides for this component (registry.connectionFields). */
  connectionFields: readonly ConnectionField[];
  /** The config mapping (`{}` when the step has none). */
  config: JsonObject;
  /** Where the config is: `['steps', i, 'config']`. */
  path: DocPath;
  stepId: string | undefined;
}

/** `/a/0/b~1c` → ['a', 0, 'b/c'] (numbers where the data is a list). */
function pointerToPath(pointer: string, data: JsonValue): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: JsonValue | undefined = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
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

function valueAt(data: JsonValue, path: readonly (string | number)[]): JsonValue | undefined {
  let node: JsonValue | undefined = data;
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') node = node[seg];
    else if (isJsonObject(node) && typeof seg === 'string') node = node[seg];
    else return undefined;
  }
  return node;
}

const shorten = (text: string, max = 90): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function propertyNames(schema: unknown): string[] {
  if (!isJsonObject(schema) || !isJsonObject(schema.properties)) return [];
  return Object.keys(schema.properties).sort();
}

/** `llmHints.inputAliases` of the spec: `{ table: [table_name, …] }` → "did you mean 'table'?" for `table_name`. */
function aliasHint(spec: ComponentSpec, key: string): string | undefined {
  const aliases = spec.llmHints?.inputAliases;
  if (!isJsonObject(aliases)) return undefined;
  const lower = key.toLowerCase();
  for (const field of Object.keys(aliases).sort()) {
    const list = aliases[field];
    if (Array.isArray(list) && list.some((a) => typeof a === 'string' && a.toLowerCase() === lower)) {
      return `did you mean '${field}'?`;
    }
  }
  return undefined;
}

const STEP_LEVEL_KEYS = new Set(['id', 'component', 'mode', 'needs', 'inputs', 'retry']);

export function checkStepConfig(input: StepConfigCheck): Diagnostic[] {
  const { doc, spec, config, path, stepId } = input;
  const out: Diagnostic[] = [];
  const properties = spec.configSchema.properties ?? {};
  const propNames = Object.keys(properties).sort();
  const connection = config.connection;
  const connectionIsRef = typeof connection === 'string' && connection.startsWith('@');
  const provided = new Map(input.connectionFields.map((f) => [f.name, f.override]));
  const at = (sub: readonly (string | number)[], which: 'key' | 'value' = 'value') =>
    doc.locate([...path, ...sub], which);
  const where = (sub: readonly (string | number)[]) => formatPath(['config', ...sub]);

  // Unknown keys (reference rule 27): anything that is neither a property nor `connection`.
  for (const key of Object.keys(config)) {
    if (key === 'connection' || Object.hasOwn(properties, key)) continue;
    let hint = aliasHint(spec, key) ?? didYouMean(key, propNames);
    if (!hint && STEP_LEVEL_KEYS.has(key))
      hint = `'${key}' belongs to the step, not its config: move it up a level`;
    if (!hint)
      hint = propNames.length
        ? `known keys: ${shorten(propNames.join(', '), 200)}`
        : 'this component takes no config';
    out.push(
      diag(
        OML.unknownConfigKey,
        `unknown config key '${key}' for component '${spec.name}'`,
        at([key], 'key'),
        {
          hint,
          stepId,
        },
      ),
    );
  }

  // Keys the Python original accepted that mean nothing here: accepted, with the spec's reason.
  for (const key of Object.keys(config)) {
    const prop = properties[key];
    const reason = isJsonObject(prop) ? prop['x-no-effect'] : undefined;
    if (typeof reason !== 'string') continue;
    out.push(
      diag(
        OML.noEffectKey,
        `config key '${key}' is accepted for pipelines written for the Python Osiris but has no effect: ${reason}`,
        at([key], 'key'),
        { hint: `remove '${key}' once the pipeline no longer needs to run on the original`, stepId },
      ),
    );
  }

  // Overrides of connection-provided fields (reference rules 28, 29).
  if (connectionIsRef) {
    for (const key of Object.keys(config)) {
      const policy = provided.get(key);
      if (policy === 'forbidden') {
        out.push(
          diag(
            OML.forbiddenOverride,
            `'${key}' is provided by connection '${connection}' and ${spec.name} does not allow overriding it`,
            at([key], 'key'),
            { hint: `remove '${key}' from the step; set it in osiris_connections.yaml`, stepId },
          ),
        );
      } else if (policy === 'warning') {
        out.push(
          diag(
            OML.overrideWarning,
            `'${key}' overrides the value connection '${connection}' provides`,
            at([key], 'key'),
            { hint: `remove '${key}' unless the override is intended`, stepId },
          ),
        );
      }
    }
  }

  const skipRequired = new Set<string>();
  // Write modes (reference rules 25, 26).
  // Only keys the component declares (an undeclared one is already an unknown-key error).
  const modeKey = ['write_mode', 'mode'].find((k) => k in config && Object.hasOwn(properties, k));
  const writeMode = modeKey ? config[modeKey] : undefined;
  if (modeKey && typeof writeMode === 'string' && !hasParamPlaceholder(writeMode)) {
    if (writeMode === 'upsert') {
      const hasKey = PRIMARY_KEY_FIELDS.some((k) => {
        const v = config[k];
        return (typeof v === 'string' && v.trim() !== '') || (Array.isArray(v) && v.length > 0);
      });
      if (!hasKey) {
        for (const k of PRIMARY_KEY_FIELDS) skipRequired.add(k);
        out.push(
          diag(OML.missingPrimaryKey, `${modeKey} 'upsert' needs a primary key`, at([modeKey], 'value'), {
            hint: 'add primary_key: <column> (or a list of columns); append and replace need none',
            stepId,
          }),
        );
      }
    } else if (!WRITE_MODES.includes(writeMode)) {
      const prop = properties[modeKey];
      // A schema that lists the values reports a wrong one itself (OML032).
      if (!(isJsonObject(prop) && ('enum' in prop || 'const' in prop))) {
        out.push(
          diag(OML.unknownWriteMode, `unknown ${modeKey} '${writeMode}'`, at([modeKey], 'value'), {
            hint: didYouMean(writeMode, WRITE_MODES) ?? `use one of: ${WRITE_MODES.join(', ')}`,
            stepId,
          }),
        );
      }
    }
  }

  // JSON Schema: required keys and value rules.
  const validate = validatorFor(spec, connectionIsRef ? [...provided.keys()] : []);
  if (validate instanceof Error) {
    out.push(
      diag(
        OML.invalidConfigValue,
        `the configSchema of component '${spec.name}' cannot be used: ${validate.message}`,
        at([]),
        { hint: `the component spec is broken: run \`osiris components validate ${spec.name}\``, stepId },
      ),
    );
  } else if (!validate(config)) {
    out.push(
      ...mapSchemaErrors(validate.errors ?? [], input, provided, connectionIsRef, skipRequired, at, where),
    );
  }

  return out;
}

function mapSchemaErrors(
  errors: readonly ErrorObject[],
  input: StepConfigCheck,
  provided: ReadonlyMap<string, string>,
  connectionIsRef: boolean,
  skipRequired: ReadonlySet<string>,
  at: (sub: readonly (string | number)[], which?: 'key' | 'value') => ReturnType<LocatedDocument['locate']>,
  where: (sub: readonly (string | number)[]) => string,
): Diagnostic[] {
  const { spec, config, stepId } = input;
  const out: Diagnostic[] = [];
  const valueErrors = new Map<string, ErrorObject[]>();
  // `if` failures only say "must match then": the `then` errors beside them say what is wrong.
  const relevant = errors.filter((e) => e.keyword !== 'if');
  const placeholderAt = (sub: readonly (string | number)[]) =>
    sub.some((_, i) => hasParamPlaceholder(valueAt(config, sub.slice(0, i + 1))));

  // anyOf/oneOf: one diagnostic per combinator, built from its branches' errors (outermost wins).
  const combinators = relevant
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  const consumed = new Set<ErrorObject>();
  for (const comb of combinators) {
    if (consumed.has(comb)) continue;
    consumed.add(comb);
    const branchErrors = relevant.filter((e) => e.schemaPath.startsWith(`${comb.schemaPath}/`));
    for (const e of branchErrors) consumed.add(e);
    const sub = pointerToPath(comb.instancePath, config);
    if (sub[0] === 'connection' || placeholderAt(sub)) continue;
    out.push(describeCombinator(comb, branchErrors, sub, input, at, where));
  }

  for (const err of relevant) {
    if (consumed.has(err)) continue;
    const sub = pointerToPath(err.instancePath, config);
    if (err.keyword === 'required' || err.keyword === 'dependentRequired' || err.keyword === 'dependencies') {
      const params = err.params as { missingProperty?: unknown; property?: unknown };
      const missing = String(params.missingProperty);
      const nested = sub.length > 0;
      if (!nested && err.keyword === 'required' && skipRequired.has(missing)) continue;
      const propSchema = isJsonObject(err.parentSchema?.properties)
        ? (err.parentSchema.properties as JsonObject)[missing]
        : undefined;
      const description =
        isJsonObject(propSchema) && typeof propSchema.description === 'string'
          ? ` (${shorten(propSchema.description, 80)})`
          : '';
      let hint = `add '${missing}'${description}`;
      if (!nested && provided.has(missing) && !connectionIsRef) {
        const family = spec.name.split('.')[0] ?? spec.name;
        hint += ` — or reference a connection that provides it: connection: "@${family}.<alias>"`;
      }
      const because = err.keyword === 'required' ? '' : ` (because '${String(params.property)}' is set)`;
      out.push(
        diag(
          OML.missingConfigKey,
          nested
            ? `missing required key '${missing}' in '${where(sub)}'${because}`
            : `missing required config key '${missing}' for component '${spec.name}'${because}`,
          // The mapping that lacks the key: its key in the document (config itself, or the nested key).
          nested ? at(sub, 'key') : input.doc.locate(input.path, 'key'),
          { hint, stepId },
        ),
      );
      continue;
    }
    if (err.keyword === 'additionalProperties' || err.keyword === 'unevaluatedProperties') {
      const params = err.params as { additionalProperty?: unknown; unevaluatedProperty?: unknown };
      const extra = String(params.additionalProperty ?? params.unevaluatedProperty);
      const names = propertyNames(err.parentSchema);
      out.push(
        diag(OML.unknownConfigKey, `unknown key '${extra}' in '${where(sub)}'`, at([...sub, extra], 'key'), {
          hint:
            didYouMean(extra, names) ??
            (names.length ? `known keys: ${names.join(', ')}` : 'this mapping takes no keys'),
          stepId,
        }),
      );
      continue;
    }
    // Value rules. `connection` is checked by the validator itself; placeholders wait for resolution.
    if (sub[0] === 'connection' || placeholderAt(sub)) continue;
    const list = valueErrors.get(err.instancePath) ?? [];
    list.push(err);
    valueErrors.set(err.instancePath, list);
  }

  for (const [pointer, list] of valueErrors) {
    const sub = pointerToPath(pointer, config);
    const { text, hint } = describeValueErrors(list, valueAt(config, sub));
    out.push(
      diag(OML.invalidConfigValue, `invalid value for '${where(sub)}': ${text}`, at(sub, 'value'), {
        hint,
        stepId,
      }),
    );
  }
  return out;
}

/** The keys each branch of a combinator requires, when every branch is only a `required` list. */
function requiredOnlyBranches(schema: unknown): string[][] | undefined {
  if (!Array.isArray(schema)) return undefined;
  const out: string[][] = [];
  for (const branch of schema) {
    if (!isJsonObject(branch) || !Array.isArray(branch.required)) return undefined;
    if (Object.keys(branch).some((k) => k !== 'required' && k !== 'description')) return undefined;
    out.push(branch.required.filter((r): r is string => typeof r === 'string'));
  }
  return out;
}

function describeCombinator(
  comb: ErrorObject,
  branchErrors: readonly ErrorObject[],
  sub: (string | number)[],
  input: StepConfigCheck,
  at: (sub: readonly (string | number)[], which?: 'key' | 'value') => ReturnType<LocatedDocument['locate']>,
  where: (sub: readonly (string | number)[]) => string,
): Diagnostic {
  const { spec, stepId } = input;
  const subject = sub.length === 0 ? `component '${spec.name}'` : `'${where(sub)}'`;
  const location = sub.length === 0 ? input.doc.locate(input.path, 'key') : at(sub, 'value');
  const alternatives = requiredOnlyBranches(comb.schema);
  const quoted = (keys: string[]) => keys.map((k) => `'${k}'`).join(' and ');
  const passing = (comb.params as { passingSchemas?: unknown }).passingSchemas;
  if (alternatives) {
    const list = alternatives.map(quoted).join(' or ');
    if (comb.keyword === 'oneOf' && Array.isArray(passing)) {
      return diag(OML.invalidConfigValue, `${subject} takes exactly one of ${list}, not several`, location, {
        hint: `keep one of ${list}`,
        stepId,
      });
    }
    return diag(OML.missingConfigKey, `${subject} needs ${list}`, location, {
      hint: `add ${alternatives.length > 1 ? 'one of ' : ''}${list}`,
      stepId,
    });
  }
  if (comb.keyword === 'oneOf' && Array.isArray(passing)) {
    return diag(
      OML.invalidConfigValue,
      `invalid value for ${subject}: matches several of its alternative forms, it must match exactly one`,
      location,
      { stepId },
    );
  }
  const direct = branchErrors.filter((e) => e.instancePath === comb.instancePath);
  const types = direct
    .filter((e) => e.keyword === 'type')
    .flatMap((e) => {
      const type = (e.params as { type?: unknown }).type;
      return Array.isArray(type) ? type.map(String) : [String(type)];
    });
  const others = branchErrors.filter((e) => e.keyword !== 'type');
  const text =
    others.length === 0 && types.length > 0
      ? `must be ${[...new Set(types)].join(' or ')}`
      : `must match one of its allowed forms (${[...new Set(branchErrors.map((e) => e.message ?? e.keyword))].join('; ')})`;
  return diag(OML.invalidConfigValue, `invalid value for ${subject}: ${text}`, location, { stepId });
}

/** One message for all the schema errors at one place; never echoes the value (it may be a secret). */
function describeValueErrors(
  list: readonly ErrorObject[],
  value: JsonValue | undefined,
): { text: string; hint: string | undefined } {
  const parts: string[] = [];
  let hint: string | undefined;
  for (const err of list) {
    if (err.keyword === 'enum') {
      const allowed = ((err.params as { allowedValues?: unknown[] }).allowedValues ?? []).map((v) =>
        JSON.stringify(v),
      );
      parts.push(`must be one of ${allowed.join(', ')}`);
      if (typeof value === 'string') {
        const names = ((err.params as { allowedValues?: unknown[] }).allowedValues ?? []).filter(
          (v): v is string => typeof v === 'string',
        );
        hint = didYouMean(value, names);
      }
    } else if (err.keyword === 'const') {
      parts.push(`must be ${JSON.stringify((err.params as { allowedValue?: unknown }).allowedValue)}`);
    } else if (err.keyword === 'type') {
      const type = (err.params as { type?: unknown }).type;
      parts.push(`must be ${Array.isArray(type) ? type.join(' or ') : String(type)}`);
      if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))
        hint = 'write the number without quotes';
    } else {
      parts.push(err.message ?? err.keyword);
    }
  }
  return { text: [...new Set(parts)].join('; '), hint };
}
