// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
/**
 * Every diagnostic code the OML layer emits (`OML…` validator, `PAR…` params), with its severity, what it
 * means and how to fix it. Each code has exactly one severity. docs/reference/oml.md lists this table; a test
 * checks that every code here appears there.
 */

import type { Severity } from '../diagnostics/diagnostic.js';
import { type Diagnostic, diagnostic, type SourceLocation } from '../diagnostics/diagnostic.js';

export interface CodeInfo {
  code: string;
  severity: Severity;
  /** What the diagnostic means (one line, for the docs table). */
  meaning: string;
  /** How to fix it (one line, for the docs table). */
  fix: string;
}

const e = (code: string, meaning: string, fix: string): CodeInfo => ({
  code,
  severity: 'error',
  meaning,
  fix,
});
const w = (code: string, meaning: string, fix: string): CodeInfo => ({
  code,
  severity: 'warning',
  meaning,
  fix,
});

export const OML = {
  fileUnreadable: e('OML001', 'the OML file does not exist or cannot be read', 'check the path'),
  notMapping: e(
    'OML002',
    'the document is empty or not a mapping',
    'start from the example pipeline in this reference',
  ),
  missingTopKey: e(
    'OML003',
    'a required top-level key (`oml_version`, `name`, `steps`) is missing',
    'add the key',
  ),
  forbiddenTopKey: e(
    'OML004',
    'a legacy top-level key (`version`, `tasks`, `connectors`, `outputs`) is present',
    'rename `version`→`oml_version`, `tasks`→`steps`; drop `connectors`/`outputs`',
  ),
  versionType: e('OML005', '`oml_version` is not a string', 'quote it: `oml_version: "0.1.0"`'),
  versionUnsupported: w('OML006', '`oml_version` is not `0.1.0`', 'use `oml_version: "0.1.0"`'),
  nameType: e('OML007', '`name` is not a string', 'give the pipeline a string name'),
  nameEmpty: e('OML008', '`name` is blank', 'give the pipeline a name'),
  nameConvention: w(
    'OML009',
    '`name` does not match `^[a-z0-9][a-z0-9-]*$`',
    'use lower-case letters, digits and dashes (it names build folders)',
  ),
  stepsType: e('OML010', '`steps` is not a list', 'make `steps` a YAML list of step mappings'),
  stepsEmpty: e('OML011', '`steps` is empty', 'add at least one step'),
  stepType: e('OML012', 'a step is not a mapping', 'write the step as `- id: …` with `component` and `mode`'),
  unknownComponent: e(
    'OML013',
    'the component is not in the registry',
    'use a name from `osiris components list` (the hint suggests the closest)',
  ),
  missingStepField: e('OML014', 'a step lacks `id`, `component` or `mode`', 'add the field'),
  idType: e('OML015', 'a step `id` is not a string', 'use a string id'),
  duplicateId: e('OML016', 'two steps share an `id`', 'rename one of them'),
  componentType: e(
    'OML017',
    'a step `component` is not a string',
    'use a registry name such as `duckdb.processor`',
  ),
  modeType: e('OML018', 'a step `mode` is not a string', 'use `read`, `transform` or `write`'),
  invalidMode: e(
    'OML019',
    'a step `mode` is not `read`, `transform` or `write`',
    'use one of the three OML modes (`extract`→`read`, `load`→`write`)',
  ),
  incompatibleMode: e(
    'OML020',
    'the component does not support the step mode',
    'use a mode the component lists, or another component',
  ),
  needsType: e('OML021', '`needs` is not a list', 'write `needs: [step-a, step-b]`'),
  needsEntryType: e('OML022', 'a `needs` entry is not a string', 'list step ids as strings'),
  unknownDependency: e('OML023', '`needs` names a step that does not exist', 'use an existing step id'),
  configType: e('OML024', '`config` is not a mapping', 'write the component settings as a mapping'),
  invalidConnectionRef: e(
    'OML025',
    '`config.connection` is not a well-formed `@family.alias` (or `@family`) reference',
    'write `connection: "@mysql.main"`; define the alias in osiris_connections.yaml',
  ),
  missingPrimaryKey: e(
    'OML026',
    '`write_mode: upsert` (or `mode: upsert`) without a `primary_key`',
    'add `primary_key: id` (or a list of columns); `append` and `replace` need none',
  ),
  unknownWriteMode: w(
    'OML027',
    '`write_mode`/`mode` is not `append`, `replace` or `upsert` (for a component whose schema does not list the values)',
    'use `append`, `replace` or `upsert`',
  ),
  unknownConfigKey: e(
    'OML028',
    "a config key is not a property of the component's configSchema",
    'remove or rename it (the hint suggests the closest property)',
  ),
  forbiddenOverride: e(
    'OML029',
    'the step sets a field its `@connection` provides and the component forbids overriding it',
    'remove the field from the step; change it in osiris_connections.yaml',
  ),
  overrideWarning: w(
    'OML030',
    'the step overrides a field its `@connection` provides (policy `warning`)',
    'remove the field unless the override is intended',
  ),
  missingConfigKey: e(
    'OML031',
    'a field the component requires is missing from `config`',
    'add it (fields a `@connection` provides are not required when `connection` is set)',
  ),
  invalidConfigValue: e(
    'OML032',
    "a config value breaks the component's configSchema (type, enum, range, length, pattern, …)",
    'change the value as the message says; `osiris components show <name>` lists the schema',
  ),
  unknownTopKey: w(
    'OML033',
    'an unknown top-level key',
    'remove or rename it (the hint suggests the closest)',
  ),
  malformedId: e(
    'OML034',
    'a step `id` does not match `^[A-Za-z0-9][A-Za-z0-9_-]*$`, or is the reserved word `params`',
    'use letters, digits, `_` and `-` (ids name files and tables)',
  ),
  selfDependency: e('OML035', 'a step depends on itself', 'remove its own id from `needs`/`inputs`'),
  dependencyCycle: e(
    'OML036',
    'steps depend on each other in a cycle (the message names the path)',
    'break the cycle by removing one of the edges',
  ),
  inputsType: e('OML037', '`inputs` is not a mapping', 'write `inputs: { df: "${extract-step.df}" }`'),
  invalidInputRef: e(
    'OML038',
    'an `inputs` value is not a `${<step>.df}` reference, or an input name is not an identifier',
    'write `name: "${<step-id>.df}"` with `name` matching `^[A-Za-z_][A-Za-z0-9_]*$`',
  ),
  unknownInputStep: e(
    'OML039',
    'an `inputs` reference names a step that does not exist',
    'use an existing step id',
  ),
  connectionFamilyMismatch: e(
    'OML040',
    "the `@family` of `config.connection` is not the component's family",
    "reference a connection of the component's family, e.g. `@mysql.…` for `mysql.extractor`",
  ),
  unknownStepKey: w('OML041', 'an unknown key in a step', 'remove it or move it under `config`'),
  retryInvalid: e(
    'retry.invalid',
    'a step `retry` is not `false`, `true` or `{attempts, backoff}` with 1–10 attempts and durations like `2s`',
    'write retry: false, or retry: { attempts: 3, backoff: { initial: 1s, max: 30s } } (docs/reference/retries.md)',
  ),
  inlineSecret: e(
    'OML042',
    'a secret-looking key (`password`, `token`, `key`, …) holds a literal value or a `${params.…}` value',
    'move the secret into osiris_connections.yaml (via `${ENV_VAR}`) and reference it as `@family.alias`',
  ),
  topFieldType: e(
    'OML043',
    '`description` is not a string or `metadata` is not a mapping',
    'fix the field type',
  ),
  sqlNotReadOnly: e(
    'OML044',
    "an extractor's `query` or `where` is refused by the SQL guard",
    'extractors only read: one SELECT / WITH / VALUES / SHOW / DESCRIBE / EXPLAIN statement, without INTO, row locks or side-effecting functions (docs/reference/security.md); write with a writer step',
  ),
  writerWithoutInput: e(
    'OML045',
    'a `write` step has no upstream step, so it has nothing to write',
    'give it `needs: [<step>]` (or an `inputs` reference) naming the step whose table it writes',
  ),
  readsWriter: e(
    'OML046',
    'a writer or processor depends only on `write` steps, which produce no table: it has no input',
    'also depend on the step whose table it reads (a writer in `needs` only orders the run)',
  ),
  nulCharacter: e(
    'OML047',
    'a config value contains a NUL character (no path, SQL or name can hold one)',
    'remove the `\\0` escape or the NUL byte from the value',
  ),
  unknownConnection: e(
    'OML048',
    '`config.connection` names a family or alias osiris_connections.yaml does not define',
    'use an alias the file defines (the hint suggests the closest), or add it there',
  ),
  noEffectKey: w(
    'OML049',
    'a config key the Python Osiris accepted has no effect in this runtime (pool, echo, chunk sizes, …)',
    'remove it when you no longer need the pipeline to run on the original',
  ),
  defaultConnection: w(
    'OML050',
    "a step of a family that needs a connection has no `connection`: the family's default alias is used",
    'write `connection: "@family.alias"` to choose one (the default is the alias with `default: true`)',
  ),
} as const satisfies Record<string, CodeInfo>;

export const PAR = {
  paramsType: e('PAR001', '`params` is not a mapping', 'write `params: { limit: 100 }`'),
  invalidParam: e(
    'PAR002',
    'a param name is not `^[A-Za-z_][A-Za-z0-9_-]*$`, or its default/profile value is not a scalar',
    'use a scalar (string, number, boolean) or `{ default: <scalar>, description: … }`',
  ),
  profilesType: e(
    'PAR003',
    "`profiles`, a profile, or a profile's `params` is not a mapping",
    'write `profiles: { prod: { params: { limit: 1000 } } }`',
  ),
  unknownProfile: e(
    'PAR004',
    'the selected profile is not declared under `profiles`',
    'pick a listed profile',
  ),
  undeclaredProfileParam: w(
    'PAR005',
    'a profile sets a param that `params` does not declare',
    'declare it under `params` (with a default) or fix the name',
  ),
  undeclaredCliParam: w(
    'PAR006',
    '`--param` names a param that `params` does not declare (it is still applied)',
    'check the spelling, or declare it',
  ),
  coercion: e(
    'PAR007',
    "an env/CLI value does not parse as the type of the param's default (number or boolean)",
    'pass a value of the declared type, e.g. `--param limit=100`',
  ),
  unresolved: e(
    'PAR008',
    'a `${params.name}` placeholder has no value from any source',
    'declare a default under `params`, set `OSIRIS_PARAM_<NAME>`, add it to the profile, or pass `--param`',
  ),
  malformedPlaceholder: e(
    'PAR009',
    'a `${params.…}` placeholder is unterminated or its name is not a valid param name',
    'write `${params.name}`',
  ),
  badParamArg: e('PAR010', 'a `--param` argument is not `name=value`', 'write `--param name=value`'),
  nestedParamRef: e(
    'PAR012',
    'a param default or profile value contains a `${params.…}` placeholder (params are not resolved inside params)',
    'write the value itself, or pass it with `--param`',
  ),
  unknownParamKey: w(
    'PAR011',
    'an unknown key in a param declaration or a profile',
    'a declaration takes `default` and `description`; a profile takes `params` and `description`',
  ),
} as const satisfies Record<string, CodeInfo>;

/** Every code, sorted: the docs table and the code-coverage test iterate this. */
export const ALL_CODES: readonly CodeInfo[] = [...Object.values(OML), ...Object.values(PAR)].sort((a, b) =>
  a.code < b.code ? -1 : 1,
);

/** A diagnostic with the code's own severity. */
export function diag(
  info: CodeInfo,
  message: string,
  location: SourceLocation,
  extra: { hint?: string | undefined; stepId?: string | undefined } = {},
): Diagnostic {
  const clean: { hint?: string; stepId?: string } = {};
  if (extra.hint !== undefined) clean.hint = extra.hint;
  if (extra.stepId !== undefined) clean.stepId = extra.stepId;
  return diagnostic(info.severity, info.code, message, location, clean);
}
