// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML syntax writes ${…} literally
/**
 * The OML v0.1.0 validator: every rule of reference §1.2 plus the improvements the project asks for (unknown
 * components are errors, config checked against the full JSON Schema, dependency checks with cycle detection,
 * connection refs checked against the component family, inline secrets, unknown keys with hints).
 *
 * Works on the document as written or on the one `resolveParams` returns; with unresolved `${params.x}`
 * placeholders, values containing one are accepted where a specific value is expected (see config-schema.ts).
 * `params` and `profiles` are checked by `resolveParams` (PAR codes), not here.
 */

import type { ConnectionsConfig } from '../connections/config.js';
import { parseConnectionRef, selectConnection } from '../connections/resolve.js';
import {
  type Diagnostic,
  OsirisError,
  type SourceLocation,
  sortDiagnostics,
} from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { OML_MODES, omlModesOf, type Registry, supportsOmlMode } from '../registry/registry.js';
import type { OmlMode } from '../registry/types.js';
import { readRetry } from '../runtime/retry/policy.js';
import { slugify } from '../util/slug.js';
import { type DocPath, formatPath, isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import type { LocatedDocument } from '../yaml/located.js';
import { diag, OML } from './codes.js';
import { checkStepConfig, hasParamPlaceholder } from './config-schema.js';
import { defaultConnectionRef } from './default-connection.js';
import { findCycle, formatCycle, parseInputRef, stepDependencies } from './dependencies.js';
import { checkPartitions } from './partition-check.js';
import { findInlineSecrets, secretKeyNames } from './secrets.js';
import { OML_VERSION, type OmlStep } from './types.js';

export interface ValidateOptions {
  registry: Registry;
  /** Secret key names for the inline-secret scan; default: common names ∪ the registry's secret keys. */
  secretKeys?: readonly string[];
  /**
   * The project's connections file, when it exists: every `config.connection` must then name one of its
   * aliases (OML048), as the run will require.
   */
  connections?: ConnectionsConfig;
}

export const REQUIRED_TOP_KEYS = ['oml_version', 'name', 'steps'] as const;
export const FORBIDDEN_TOP_KEYS: Readonly<Record<string, string>> = {
  version: 'rename it to oml_version: "0.1.0"',
  tasks: "rename it to 'steps'",
  connectors:
    "define connections in osiris_connections.yaml and reference them as connection: '@family.alias'",
  outputs: 'outputs are written by writer steps (e.g. filesystem.csv_writer); remove this key',
};
export const KNOWN_TOP_KEYS = [
  'description',
  'metadata',
  'name',
  'oml_version',
  'params',
  'profiles',
  'schedule',
  'steps',
] as const;
export const STEP_KEYS = ['component', 'config', 'id', 'inputs', 'mode', 'needs', 'retry'] as const;
/** Step keys from other tools (or older Osiris drafts) and what OML calls them. */
const STEP_KEY_ALIASES: Readonly<Record<string, string>> = {
  after: 'needs',
  connector: 'component',
  depends_on: 'needs',
  dependencies: 'needs',
  input: 'inputs',
  name: 'id',
  options: 'config',
  settings: 'config',
  type: 'component',
  uses: 'component',
};
const MODE_ALIASES: Readonly<Record<string, OmlMode>> = {
  extract: 'read',
  load: 'write',
  source: 'read',
  sink: 'write',
  transformation: 'transform',
};

export const STEP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
/** `@family.alias` or `@family` (the family's default alias). */
export const CONNECTION_REF_PATTERN = /^@([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?$/;
export const INPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `${params.df}` would be read as a param placeholder, so no step may be called `params`. */
const RESERVED_STEP_IDS = new Set(['params']);

const typeName = (v: JsonValue | undefined): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : isJsonObject(v) ? 'a mapping' : `a ${typeof v}`;

export function validateOml(doc: LocatedDocument, options: ValidateOptions): Diagnostic[] {
  const { registry } = options;
  const out: Diagnostic[] = [...doc.errors];
  if (doc.errors.length > 0 || doc.value === undefined) return finish(out);
  const root = doc.value;
  const loc = (path: DocPath, which: 'key' | 'value' = 'value'): SourceLocation => doc.locate(path, which);

  if (!isJsonObject(root)) {
    out.push(
      diag(
        OML.notMapping,
        root === null
          ? 'the OML document is empty'
          : `the OML document must be a mapping, not ${typeName(root)}`,
        loc([]),
        { hint: 'start with oml_version: "0.1.0", name: and steps:' },
      ),
    );
    return finish(out);
  }

  checkTopLevel(root, loc, out);

  const steps = root.steps;
  if ('steps' in root) {
    if (!Array.isArray(steps)) {
      out.push(
        diag(OML.stepsType, `'steps' must be a list, not ${typeName(steps)}`, loc(['steps']), {
          hint: 'write each step as a list item starting with "- id: …"',
        }),
      );
    } else if (steps.length === 0) {
      out.push(diag(OML.stepsEmpty, "'steps' is empty", loc(['steps']), { hint: 'add at least one step' }));
    } else {
      checkSteps(steps, doc, registry, out, options.connections);
    }
  }

  out.push(...findInlineSecrets(doc, options.secretKeys ?? secretKeyNames(registry)));
  return finish(out);
}

function finish(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const unique = list.filter((d) => {
    const key = JSON.stringify(d);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return sortDiagnostics(unique);
}

function checkTopLevel(
  root: JsonObject,
  loc: (path: DocPath, which?: 'key' | 'value') => SourceLocation,
  out: Diagnostic[],
): void {
  for (const key of REQUIRED_TOP_KEYS) {
    if (key in root) continue;
    let hint: string;
    if (key === 'oml_version')
      hint = 'version' in root ? "rename 'version' to 'oml_version'" : 'add oml_version: "0.1.0"';
    else if (key === 'steps')
      hint = 'tasks' in root ? "rename 'tasks' to 'steps'" : 'add steps: with at least one step';
    else hint = 'add name: my-pipeline';
    out.push(
      diag(
        OML.missingTopKey,
        `missing required top-level key '${key}'`,
        { ...loc([]), path: 'root' },
        { hint },
      ),
    );
  }
  for (const key of Object.keys(root)) {
    const forbidden = FORBIDDEN_TOP_KEYS[key];
    if (forbidden !== undefined) {
      out.push(
        diag(
          OML.forbiddenTopKey,
          `legacy top-level key '${key}' is not allowed in OML v0.1.0`,
          loc([key], 'key'),
          { hint: forbidden },
        ),
      );
    } else if (!(KNOWN_TOP_KEYS as readonly string[]).includes(key)) {
      out.push(
        diag(OML.unknownTopKey, `unknown top-level key '${key}'`, loc([key], 'key'), {
          hint: didYouMean(key, KNOWN_TOP_KEYS) ?? `known keys: ${KNOWN_TOP_KEYS.join(', ')}`,
        }),
      );
    }
  }

  if ('oml_version' in root) {
    const version = root.oml_version;
    if (typeof version !== 'string') {
      out.push(
        diag(
          OML.versionType,
          `'oml_version' must be a string, not ${typeName(version)}`,
          loc(['oml_version']),
          {
            hint: `quote it: oml_version: "${OML_VERSION}"`,
          },
        ),
      );
    } else if (version !== OML_VERSION && !hasParamPlaceholder(version)) {
      out.push(
        diag(
          OML.versionUnsupported,
          `unsupported oml_version '${version}' (this Osiris reads ${OML_VERSION})`,
          loc(['oml_version']),
          {
            hint: `use oml_version: "${OML_VERSION}"`,
          },
        ),
      );
    }
  }

  if ('name' in root) {
    const name = root.name;
    if (typeof name !== 'string') {
      out.push(
        diag(OML.nameType, `'name' must be a string, not ${typeName(name)}`, loc(['name']), {
          hint: 'quote it',
        }),
      );
    } else if (name.trim() === '') {
      out.push(
        diag(OML.nameEmpty, "'name' is empty", loc(['name']), {
          hint: 'name the pipeline, e.g. name: orders-daily',
        }),
      );
    } else if (!NAME_PATTERN.test(name) && !hasParamPlaceholder(name)) {
      const slug = slugify(name);
      out.push(
        diag(
          OML.nameConvention,
          `pipeline name '${name}' should use lower-case letters, digits and dashes`,
          loc(['name']),
          { hint: slug ? `e.g. name: ${slug}` : 'e.g. name: my-pipeline' },
        ),
      );
    }
  }

  if ('description' in root && typeof root.description !== 'string') {
    out.push(
      diag(
        OML.topFieldType,
        `'description' must be a string, not ${typeName(root.description)}`,
        loc(['description']),
      ),
    );
  }
  if ('metadata' in root && !isJsonObject(root.metadata)) {
    out.push(
      diag(
        OML.topFieldType,
        `'metadata' must be a mapping, not ${typeName(root.metadata)}`,
        loc(['metadata']),
        {
          hint: 'e.g. metadata: { intent: "…" }',
        },
      ),
    );
  }
}

interface StepFacts {
  index: number;
  id: string | undefined;
  raw: JsonObject;
}

function checkSteps(
  steps: JsonValue[],
  doc: LocatedDocument,
  registry: Registry,
  out: Diagnostic[],
  connections: ConnectionsConfig | undefined,
): void {
  const loc = (path: DocPath, which: 'key' | 'value' = 'value'): SourceLocation => doc.locate(path, which);
  const facts: StepFacts[] = [];
  const firstById = new Map<string, number>();

  // Pass 1: ids, so dependency checks know every step.
  steps.forEach((step, i) => {
    if (!isJsonObject(step)) {
      out.push(
        diag(OML.stepType, `step ${i + 1} must be a mapping, not ${typeName(step)}`, loc(['steps', i]), {
          hint: 'write the step as "- id: …" with component:, mode: and config:',
        }),
      );
      return;
    }
    const id = typeof step.id === 'string' ? step.id : undefined;
    facts.push({ index: i, id, raw: step });
    if (id !== undefined && !firstById.has(id)) firstById.set(id, i);
  });
  const allIds = [...firstById.keys()].sort();

  for (const { index: i, id, raw: step } of facts) {
    const p = (...rest: (string | number)[]): DocPath => ['steps', i, ...rest];
    const stepId = id;

    for (const field of ['id', 'component', 'mode'] as const) {
      if (!(field in step)) {
        out.push(
          diag(
            OML.missingStepField,
            `step ${id !== undefined ? `'${id}'` : i + 1} is missing '${field}'`,
            loc(p(field)),
            {
              hint:
                field === 'mode'
                  ? 'add mode: read, transform or write'
                  : field === 'id'
                    ? 'add id: <unique-step-id>'
                    : 'add component: <name> (see `osiris components list`)',
              stepId,
            },
          ),
        );
      }
    }

    // Unknown step keys (the original silently dropped them).
    const component = typeof step.component === 'string' ? step.component : undefined;
    const spec = component !== undefined ? registry.get(component)?.spec : undefined;
    for (const key of Object.keys(step)) {
      if ((STEP_KEYS as readonly string[]).includes(key)) continue;
      let hint: string | undefined;
      const alias = STEP_KEY_ALIASES[key];
      if (spec && Object.hasOwn(spec.configSchema.properties ?? {}, key))
        hint = `move '${key}' under config:`;
      else if (alias) hint = `OML calls this '${alias}'`;
      else hint = didYouMean(key, STEP_KEYS) ?? `step keys: ${STEP_KEYS.join(', ')}`;
      out.push(
        diag(OML.unknownStepKey, `unknown step key '${key}' (it is ignored)`, loc(p(key), 'key'), {
          hint,
          stepId,
        }),
      );
    }

    // id
    if ('id' in step) {
      if (id === undefined) {
        out.push(
          diag(OML.idType, `step id must be a string, not ${typeName(step.id)}`, loc(p('id')), {
            hint: typeof step.id === 'number' ? `quote it: id: "${step.id}"` : 'use a string id',
          }),
        );
      } else if (!hasParamPlaceholder(id) && (!STEP_ID_PATTERN.test(id) || RESERVED_STEP_IDS.has(id))) {
        const reserved = RESERVED_STEP_IDS.has(id);
        const suggestion = id.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[-_]+/, '');
        out.push(
          diag(
            OML.malformedId,
            reserved
              ? `step id '${id}' is reserved`
              : `step id '${id}' must match ^[A-Za-z0-9][A-Za-z0-9_-]*$ (ids name files and tables)`,
            loc(p('id')),
            {
              hint: reserved
                ? `'\${params.…}' means a param; pick another id, e.g. '${id}-step'`
                : suggestion && STEP_ID_PATTERN.test(suggestion)
                  ? `e.g. '${suggestion}'`
                  : 'use letters, digits, _ and -, starting with a letter or digit',
              stepId,
            },
          ),
        );
      }
      const first = id !== undefined ? firstById.get(id) : undefined;
      if (id !== undefined && first !== undefined && first !== i) {
        const firstAt = loc(['steps', first, 'id']);
        out.push(
          diag(OML.duplicateId, `duplicate step id '${id}'`, loc(p('id')), {
            hint: `first used by step ${first + 1}${firstAt.line !== undefined ? ` (line ${firstAt.line})` : ''}; rename one of them`,
            stepId,
          }),
        );
      }
    }

    // component
    if ('component' in step) {
      if (component === undefined) {
        out.push(
          diag(
            OML.componentType,
            `component must be a string, not ${typeName(step.component)}`,
            loc(p('component')),
            {
              hint: 'e.g. component: duckdb.processor',
              stepId,
            },
          ),
        );
      } else if (!spec && !hasParamPlaceholder(component)) {
        out.push(
          diag(OML.unknownComponent, `unknown component '${component}'`, loc(p('component')), {
            hint: unknownComponentHint(component, registry),
            stepId,
          }),
        );
      }
    }

    // mode
    if ('mode' in step) {
      const mode = step.mode;
      if (typeof mode !== 'string') {
        out.push(
          diag(OML.modeType, `mode must be a string, not ${typeName(mode)}`, loc(p('mode')), {
            hint: `use one of: ${OML_MODES.join(', ')}`,
            stepId,
          }),
        );
      } else if (!hasParamPlaceholder(mode)) {
        if (!(OML_MODES as readonly string[]).includes(mode)) {
          const alias = MODE_ALIASES[mode.toLowerCase()];
          out.push(
            diag(OML.invalidMode, `invalid mode '${mode}'`, loc(p('mode')), {
              hint: alias
                ? `OML calls this mode '${alias}'`
                : (didYouMean(mode, OML_MODES) ?? `use one of: ${OML_MODES.join(', ')}`),
              stepId,
            }),
          );
        } else if (spec && !supportsOmlMode(spec, mode as OmlMode)) {
          const modes = omlModesOf(spec);
          out.push(
            diag(
              OML.incompatibleMode,
              `component '${spec.name}' does not support mode '${mode}'`,
              loc(p('mode')),
              {
                hint: modes.length
                  ? `${spec.name} supports: ${modes.join(', ')}`
                  : `${spec.name} has no OML mode (component modes: ${spec.modes.join(', ')})`,
                stepId,
              },
            ),
          );
        }
      }
    }

    // needs
    if ('needs' in step) {
      const needs = step.needs;
      if (!Array.isArray(needs)) {
        out.push(
          diag(OML.needsType, `'needs' must be a list of step ids, not ${typeName(needs)}`, loc(p('needs')), {
            hint: typeof needs === 'string' ? `write needs: [${needs}]` : 'write needs: [step-a, step-b]',
            stepId,
          }),
        );
      } else {
        needs.forEach((need, j) => {
          if (typeof need !== 'string') {
            out.push(
              diag(
                OML.needsEntryType,
                `'needs' entries must be step ids (strings), not ${typeName(need)}`,
                loc(p('needs', j)),
                {
                  stepId,
                },
              ),
            );
          } else if (need === id) {
            out.push(
              diag(OML.selfDependency, `step '${id}' needs itself`, loc(p('needs', j)), {
                hint: `remove '${need}' from needs`,
                stepId,
              }),
            );
          } else if (!firstById.has(need) && !hasParamPlaceholder(need)) {
            out.push(
              diag(OML.unknownDependency, `'needs' names unknown step '${need}'`, loc(p('needs', j)), {
                hint: didYouMean(need, allIds) ?? `steps: ${allIds.join(', ')}`,
                stepId,
              }),
            );
          }
        });
      }
    }

    // retry (runtime/retry/policy.ts)
    if ('retry' in step && !JSON.stringify(step.retry).includes('${')) {
      for (const problem of readRetry(step.retry).problems)
        out.push(
          diag(OML.retryInvalid, problem.message, loc(p('retry', ...problem.path)), {
            hint: 'retry: false, or retry: { attempts: 3, backoff: { initial: 1s, max: 30s } }',
            stepId,
          }),
        );
    }

    // inputs
    if ('inputs' in step) {
      const inputs = step.inputs;
      if (!isJsonObject(inputs)) {
        out.push(
          diag(OML.inputsType, `'inputs' must be a mapping, not ${typeName(inputs)}`, loc(p('inputs')), {
            hint: 'write inputs: { df: "${<step-id>.df}" }',
            stepId,
          }),
        );
      } else {
        for (const [name, value] of Object.entries(inputs)) {
          if (!INPUT_NAME_PATTERN.test(name)) {
            out.push(
              diag(
                OML.invalidInputRef,
                `input name '${name}' must match ^[A-Za-z_][A-Za-z0-9_]*$`,
                loc(p('inputs', name), 'key'),
                {
                  hint: `e.g. '${name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^(?=\d)/, '_') || 'df'}'`,
                  stepId,
                },
              ),
            );
          }
          const ref = parseInputRef(value);
          if (ref === undefined) {
            out.push(
              diag(
                OML.invalidInputRef,
                `input '${name}' must be a reference like "\${<step-id>.df}"`,
                loc(p('inputs', name)),
                { hint: inputRefHint(value, firstById), stepId },
              ),
            );
          } else if (ref === id) {
            out.push(
              diag(
                OML.selfDependency,
                `step '${id}' takes its own output as input '${name}'`,
                loc(p('inputs', name)),
                { stepId },
              ),
            );
          } else if (!firstById.has(ref)) {
            out.push(
              diag(
                OML.unknownInputStep,
                `input '${name}' refers to unknown step '${ref}'`,
                loc(p('inputs', name)),
                {
                  hint: didYouMean(ref, allIds) ?? `steps: ${allIds.join(', ')}`,
                  stepId,
                },
              ),
            );
          }
        }
      }
    }

    // config
    let config: JsonObject | undefined = {};
    if ('config' in step) {
      if (isJsonObject(step.config)) config = step.config;
      else {
        config = undefined;
        out.push(
          diag(OML.configType, `'config' must be a mapping, not ${typeName(step.config)}`, loc(p('config')), {
            hint: 'write the component settings as key: value pairs under config:',
            stepId,
          }),
        );
      }
    }
    if (config !== undefined) {
      if ('connection' in config) {
        const where = loc(p('config', 'connection'));
        if (checkConnection(config.connection, component, where, stepId, out) && connections)
          checkConnectionDefined(config.connection as string, connections, where, stepId, out);
      }
      const implicit =
        component !== undefined ? defaultConnectionRef(component, config, registry) : undefined;
      if (implicit !== undefined) {
        out.push(
          diag(
            OML.defaultConnection,
            `step has no 'connection': it uses the default ${implicit} connection (the alias with default: true, or the one named 'default')`,
            loc('config' in step ? p('config') : p('component'), 'key'),
            { hint: `write connection: "${implicit}.<alias>" to choose one`, stepId },
          ),
        );
      }
      if (spec) {
        out.push(
          ...checkStepConfig({
            doc,
            spec,
            connectionFields: registry.connectionFields(spec.name),
            // A step on its family's default connection is checked as if it named it.
            config: implicit !== undefined ? { ...config, connection: implicit } : config,
            path: p('config'),
            stepId,
          }),
        );
        checkNul(config, p('config'), loc, stepId, out);
      }
    }
  }

  checkCycles(facts, loc, out);
  checkUpstreams(facts, loc, out);
  checkPartitionedCopies(facts, loc, out);
}

/** A NUL character ends a C string: the run would refuse or truncate a path, SQL or name holding one. */
function checkNul(
  config: JsonObject,
  path: DocPath,
  loc: (path: DocPath, which?: 'key' | 'value') => SourceLocation,
  stepId: string | undefined,
  out: Diagnostic[],
): void {
  const stack: Array<{ value: JsonValue; path: DocPath }> = [{ value: config, path }];
  while (stack.length > 0) {
    const { value, path: at } = stack.pop() as { value: JsonValue; path: DocPath };
    if (typeof value === 'string') {
      if (value.includes('\0'))
        out.push(
          diag(
            OML.nulCharacter,
            `'${formatPath(at.slice(path.length - 1))}' contains a NUL character`,
            loc(at),
            {
              hint: OML.nulCharacter.fix,
              stepId,
            },
          ),
        );
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i] as JsonValue, path: [...at, i] });
    } else if (isJsonObject(value))
      for (const [k, v] of Object.entries(value)) stack.push({ value: v, path: [...at, k] });
  }
}

function unknownComponentHint(component: string, registry: Registry): string {
  const suggestion = didYouMean(component, registry.names());
  const broken = registry.problems.find(
    (d) =>
      d.location.file?.replace(/\\/g, '/').includes(`/${component}/`) || d.message.includes(`'${component}'`),
  );
  if (broken) return `its spec failed to load: ${broken.message}`;
  return suggestion ?? 'see `osiris components list` for the available components';
}

function inputRefHint(value: JsonValue, ids: ReadonlyMap<string, number>): string {
  if (typeof value === 'string') {
    const bare = /^\$\{([^}.]+)\}$/.exec(value)?.[1] ?? (ids.has(value) ? value : undefined);
    if (bare !== undefined) return `write "\${${bare}.df}"`;
    const other = /^\$\{([^}]+)\.[^}.]+\}$/.exec(value)?.[1];
    if (other !== undefined) return `step outputs are named df: write "\${${other}.df}"`;
  }
  return 'write "${<step-id>.df}"';
}

function checkConnection(
  value: JsonValue | undefined,
  component: string | undefined,
  location: SourceLocation,
  stepId: string | undefined,
  out: Diagnostic[],
): boolean {
  if (hasParamPlaceholder(value)) return false;
  const family = component?.includes('.') ? component.split('.')[0] : undefined;
  const example = `@${family ?? 'family'}.<alias>`;
  if (typeof value !== 'string') {
    out.push(
      diag(
        OML.invalidConnectionRef,
        `'connection' must be a reference like '${example}', not ${typeName(value)}`,
        location,
        {
          hint: 'define the connection in osiris_connections.yaml and reference it by name',
          stepId,
        },
      ),
    );
    return false;
  }
  const match = CONNECTION_REF_PATTERN.exec(value);
  if (!match) {
    const fixed = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$/.test(value) ? `@${value}` : undefined;
    out.push(
      diag(OML.invalidConnectionRef, `malformed connection reference '${value}'`, location, {
        hint: fixed
          ? `write '${fixed}'`
          : `write '${example}' (family and alias use letters, digits, _ and -), or '@${family ?? 'family'}' for the default alias`,
        stepId,
      }),
    );
    return false;
  }
  const refFamily = match[1] as string;
  if (family !== undefined && refFamily !== family) {
    out.push(
      diag(
        OML.connectionFamilyMismatch,
        `connection '${value}' is a '${refFamily}' connection but component '${component}' needs a '${family}' connection`,
        location,
        { hint: `use '@${family}.<alias>' (or '@${family}' for the default alias)`, stepId },
      ),
    );
    return false;
  }
  return true;
}

/** The alias a well-formed reference names must exist in the connections file (the run resolves it there). */
function checkConnectionDefined(
  ref: string,
  connections: ConnectionsConfig,
  location: SourceLocation,
  stepId: string | undefined,
  out: Diagnostic[],
): void {
  try {
    selectConnection(connections, parseConnectionRef(ref, location), location);
  } catch (error) {
    if (!(error instanceof OsirisError)) throw error;
    for (const d of error.diagnostics) {
      out.push(
        diag(OML.unknownConnection, d.message.replace(/^cannot resolve /, 'connection '), location, {
          hint: d.hint,
          stepId,
        }),
      );
    }
  }
}

/** Upstream step ids per (first-defined) step id, as the runtime will compute them. */
function factDependencies(facts: readonly StepFacts[]): {
  deps: Map<string, string[]>;
  indexOf: Map<string, StepFacts>;
} {
  const typed: OmlStep[] = [];
  const indexOf = new Map<string, StepFacts>();
  for (const f of facts) {
    if (f.id === undefined || indexOf.has(f.id)) continue;
    indexOf.set(f.id, f);
    const step: OmlStep = { id: f.id, component: '', mode: 'transform' };
    if (Array.isArray(f.raw.needs))
      step.needs = f.raw.needs.filter((n): n is string => typeof n === 'string');
    else if ('needs' in f.raw) step.needs = [];
    if (isJsonObject(f.raw.inputs)) {
      step.inputs = Object.fromEntries(
        Object.entries(f.raw.inputs).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
    } else if ('inputs' in f.raw) step.inputs = {};
    typed.push(step);
  }
  const deps = stepDependencies(typed);
  return { deps, indexOf };
}

/** Partitioned extractors and the one database writer they feed (partition-check.ts). */
function checkPartitionedCopies(
  facts: readonly StepFacts[],
  loc: (path: DocPath, which?: 'key' | 'value') => SourceLocation,
  out: Diagnostic[],
): void {
  const { deps, indexOf } = factDependencies(facts);
  const steps: OmlStep[] = [...indexOf.values()].map((f) => ({
    id: f.id as string,
    component: typeof f.raw.component === 'string' ? f.raw.component : '',
    mode: 'transform',
    ...(isJsonObject(f.raw.config) ? { config: f.raw.config } : {}),
  }));
  const at = (id: string, ...path: (string | number)[]) =>
    loc(['steps', (indexOf.get(id) as StepFacts).index, ...path]);
  checkPartitions(steps, deps, at, out);
}

/**
 * What the runtime refuses about inputs: a writer with nothing upstream (OML045), and a writer or processor
 * whose upstream steps are all writers (OML046) — a writer produces no table, so depending on one only orders
 * the run (src/runtime/runner.ts `inputStepIds`). Extractors read their own source: for them that ordering is
 * the point (the original's implicit chain of one table after another).
 */
function checkUpstreams(
  facts: readonly StepFacts[],
  loc: (path: DocPath, which?: 'key' | 'value') => SourceLocation,
  out: Diagnostic[],
): void {
  const { deps, indexOf } = factDependencies(facts);
  for (const [id, list] of deps) {
    const f = indexOf.get(id) as StepFacts;
    const known = list.filter((d) => indexOf.has(d) && d !== id);
    if (f.raw.mode === 'write' && list.length === 0) out.push(writerWithoutInput(f, id, facts, loc));
    const writers = known.filter((d) => indexOf.get(d)?.raw.mode === 'write');
    if (f.raw.mode !== 'read' && known.length > 0 && writers.length === known.length)
      out.push(onlyWritersUpstream(f, id, writers, loc));
  }
}

function writerWithoutInput(
  f: StepFacts,
  id: string,
  facts: readonly StepFacts[],
  loc: (path: DocPath, which?: 'key' | 'value') => SourceLocation,
): Diagnostic {
  const previous = facts.find((x) => x.index === f.index - 1)?.id;
  return diag(
    OML.writerWithoutInput,
    `writer step '${id}' has no upstream step: it has nothing to write`,
    loc(['steps', f.index, 'id']),
    {
      hint:
        previous !== undefined
          ? `add needs: [${previous}] (or the step whose table it writes)`
          : OML.writerWithoutInput.fix,
      stepId: id,
    },
  );
}

function onlyWritersUpstream(
  f: StepFacts,
  id: string,
  writers: readonly string[],
  loc: (path: DocPath, which?: 'key' | 'value') => SourceLocation,
): Diagnostic {
  const needIndex = Array.isArray(f.raw.needs) ? f.raw.needs.indexOf(writers[0] as string) : -1;
  const where = needIndex >= 0 ? ['steps', f.index, 'needs', needIndex] : ['steps', f.index, 'id'];
  return diag(
    OML.readsWriter,
    `step '${id}' depends only on writer steps (${writers.join(', ')}), which produce no table: it has no input`,
    loc(where),
    {
      hint: `also depend on the step whose table '${id}' reads (a writer in needs only orders the run)`,
      stepId: id,
    },
  );
}

function checkCycles(
  facts: readonly StepFacts[],
  loc: (path: DocPath, which?: 'key' | 'value') => SourceLocation,
  out: Diagnostic[],
): void {
  const { deps, indexOf } = factDependencies(facts);
  // Self-dependencies and unknown steps are reported on their own.
  for (const [id, list] of deps)
    deps.set(
      id,
      list.filter((d) => d !== id && indexOf.has(d)),
    );

  for (let guard = 0; guard < facts.length; guard++) {
    const cycle = findCycle(deps);
    if (!cycle) return;
    const [from, to] = cycle as [string, string];
    const f = indexOf.get(from) as StepFacts;
    let location: SourceLocation;
    let inferred = false;
    const needIndex = Array.isArray(f.raw.needs) ? f.raw.needs.indexOf(to) : -1;
    const inputName = isJsonObject(f.raw.inputs)
      ? Object.keys(f.raw.inputs).find((k) => parseInputRef((f.raw.inputs as JsonObject)[k]) === to)
      : undefined;
    if (needIndex >= 0) location = loc(['steps', f.index, 'needs', needIndex]);
    else if (inputName !== undefined) location = loc(['steps', f.index, 'inputs', inputName]);
    else {
      location = loc(['steps', f.index, 'id']);
      inferred = true;
    }
    out.push(
      diag(OML.dependencyCycle, `dependency cycle: ${formatCycle(cycle)}`, location, {
        hint: inferred
          ? `'${from}' has neither needs nor inputs, so it depends on the step before it; give it needs: [] or explicit needs`
          : `remove one of these dependencies`,
        stepId: from,
      }),
    );
    deps.set(
      from,
      (deps.get(from) ?? []).filter((d) => d !== to),
    );
  }
}
