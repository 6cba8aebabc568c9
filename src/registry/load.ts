/**
 * Loads the component registry from disk: the built-in `src/components/<name>/spec.yaml` folders (or
 * `dist/components` once built) plus a project's own `<projectRoot>/components/<name>/spec.yaml`.
 * Every spec is checked against `spec-schema.json`; a spec that fails is reported in `Registry.problems`
 * (located at file:line:col) and left out, never dropped silently.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import {
  type Diagnostic,
  diagnostic,
  isError,
  type SourceLocation,
  sortDiagnostics,
} from '../diagnostics/diagnostic.js';
import { closestMatch, didYouMean } from '../diagnostics/suggest.js';
import { newAjv } from '../util/ajv.js';
import { type DocPath, isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import { type LocatedDocument, parseLocatedYaml } from '../yaml/located.js';
import { markBuildChecked } from './build-checked.js';
import { Registry } from './registry.js';
import { schemaErrorsToDiagnostics } from './schema-errors.js';
import type { ComponentSpec, LoadedComponent } from './types.js';

/**
 * Registry diagnostic codes.
 * REG001 spec file unreadable or not valid YAML/JSON · REG002 spec does not match the spec schema ·
 * REG003 folder name differs from the spec name · REG004 two specs share a name ·
 * REG005 configSchema is not a valid JSON Schema · REG006 an example config fails configSchema ·
 * REG007 a secret/redaction pointer names no config field · REG008 an llmHints alias names no config field ·
 * REG009 component or spec not found · REG010 an x-connection-field names no config field ·
 * REG011 configSchema.required names no config field · REG012 unknown component mode (CLI filter) ·
 * REG013 a built-in components folder is missing · REG014 a project component's driver is TypeScript.
 */
export const REG = {
  unreadable: 'REG001',
  schema: 'REG002',
  folderMismatch: 'REG003',
  duplicate: 'REG004',
  configSchema: 'REG005',
  example: 'REG006',
  pointer: 'REG007',
  alias: 'REG008',
  notFound: 'REG009',
  connectionField: 'REG010',
  required: 'REG011',
  unknownMode: 'REG012',
  missingRoot: 'REG013',
  typescriptDriver: 'REG014',
} as const;

export type ValidationLevel = 'basic' | 'enhanced' | 'strict';
export const VALIDATION_LEVELS: readonly ValidationLevel[] = ['basic', 'enhanced', 'strict'];

export type ComponentOrigin = 'builtin' | 'user';

export interface LoadRegistryOptions {
  /** Built-in component roots; default: the `components` folder shipped with Osiris. */
  roots?: string[];
  /** Project root: `<projectRoot>/components/*` are loaded as user components when the folder exists. */
  projectRoot?: string;
  /** Skip the in-process cache (tests that rewrite spec files). */
  fresh?: boolean;
}

/** A spec file found on disk, whether or not it is valid. */
export interface SpecFile {
  /** Folder name: what the spec's `name` must be. */
  folder: string;
  /** Absolute path of spec.yaml (or spec.json). */
  specPath: string;
  /** Absolute path of the driver module beside it, when there is one Node can load. */
  driverPath: string | undefined;
  /** A project component's TypeScript driver, which Node cannot load (see REG014). */
  typescriptDriver: string | undefined;
  origin: ComponentOrigin;
}

const SPEC_FILES = ['spec.yaml', 'spec.yml', 'spec.json'];
/**
 * Built-in drivers are driver.ts in the sources (run by vitest) and driver.js once built. A project's own
 * component is imported by Node as it is: JavaScript only (driver.mjs is ESM whatever package.json says).
 */
const DRIVER_FILES: Readonly<Record<ComponentOrigin, readonly string[]>> = {
  builtin: ['driver.js', 'driver.ts'],
  user: ['driver.js', 'driver.mjs'],
};
const TYPESCRIPT_DRIVERS = ['driver.ts', 'driver.mts', 'driver.cts'];

/** The components folder shipped with Osiris (`src/components` under vitest, `dist/components` when built). */
export function builtinComponentsRoot(): string {
  return fileURLToPath(new URL('../components', import.meta.url));
}

/** Where a project keeps its own components. */
export function userComponentsRoot(projectRoot: string): string {
  return join(resolve(projectRoot), 'components');
}

function sourcesOf(options: LoadRegistryOptions): { root: string; origin: ComponentOrigin }[] {
  const roots = (options.roots ?? [builtinComponentsRoot()]).map((r) => resolve(r));
  const sources: { root: string; origin: ComponentOrigin }[] = roots.map((root) => ({
    root,
    origin: 'builtin',
  }));
  if (options.projectRoot !== undefined) {
    const user = userComponentsRoot(options.projectRoot);
    if (!roots.includes(user)) sources.push({ root: user, origin: 'user' });
  }
  return sources;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Spec files under the roots, in load order: built-in roots first, folders sorted by name. */
export function discoverSpecFiles(options: LoadRegistryOptions = {}): SpecFile[] {
  const out: SpecFile[] = [];
  for (const { root, origin } of sourcesOf(options)) {
    if (!isDir(root)) continue;
    for (const folder of readdirSync(root).sort()) {
      const dir = join(root, folder);
      if (folder.startsWith('.') || !isDir(dir)) continue;
      const spec = SPEC_FILES.map((f) => join(dir, f)).find((p) => existsSync(p));
      if (!spec) continue;
      const find = (names: readonly string[]) => names.map((f) => join(dir, f)).find((p) => existsSync(p));
      const driver = find(DRIVER_FILES[origin]);
      const typescript = origin === 'user' && !driver ? find(TYPESCRIPT_DRIVERS) : undefined;
      out.push({ folder, specPath: spec, driverPath: driver, typescriptDriver: typescript, origin });
    }
  }
  return out;
}

/** The TypeScript driver beside a spec outside the built-in components, when no JavaScript one is there. */
function typescriptDriverBeside(specFile: string): string | undefined {
  const dir = dirname(specFile);
  if (dir.startsWith(builtinComponentsRoot())) return undefined;
  const exists = (names: readonly string[]) => names.map((f) => join(dir, f)).find((p) => existsSync(p));
  return exists(DRIVER_FILES.user) ? undefined : exists(TYPESCRIPT_DRIVERS);
}

// ---------------------------------------------------------------------------------------------------
// Spec schema

let specValidator: ValidateFunction | undefined;

/** The spec schema document (`spec-schema.json`). */
export function specSchema(): JsonObject {
  return JSON.parse(readFileSync(new URL('./spec-schema.json', import.meta.url), 'utf8')) as JsonObject;
}

/**
 * The build's precompiled spec validator (scripts/copy-assets.mjs), if this module runs from dist/. Required
 * when first needed, not at start-up: only a spec that differs from the build's bundle is checked.
 */
function precompiledSpecValidator(): ValidateFunction | undefined {
  try {
    return createRequire(import.meta.url)('./spec-validator.cjs') as ValidateFunction;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

function getSpecValidator(): ValidateFunction {
  specValidator ??= precompiledSpecValidator();
  if (specValidator === undefined) {
    const ajv = newAjv({ allErrors: true, strict: false, verbose: true });
    specValidator = ajv.compile(specSchema());
  }
  return specValidator;
}

const TOP_LEVEL_HINTS: Record<string, string> = {
  name: "add `name: <family>.<role>` (e.g. 'acme.extractor'), the same as the folder name",
  version: 'add `version: 1.0.0`',
  modes: 'add `modes: [extract]` — any of extract, write, transform, discover, analyze, stream',
  capabilities: 'add `capabilities: {}` with boolean flags such as `discover: true`',
  configSchema: 'add `configSchema:` with `type: object` and the config fields under `properties:`',
};

const POINTER_PARENTS = new Set(['secrets', 'x-secret', 'extras', 'sensitivePaths']);

function specHint(path: DocPath, error: ErrorObject): string | undefined {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && path.length === 0) {
    return TOP_LEVEL_HINTS[String(params.missingProperty)];
  }
  if (error.keyword === 'required' && path.length === 1 && path[0] === 'configSchema') {
    return params.missingProperty === 'type'
      ? 'add `type: object` under configSchema'
      : 'add `properties:` under configSchema with one entry per config field';
  }
  if (error.keyword === 'pattern') {
    const last = path[path.length - 1];
    const parent = path[path.length - 2];
    if (path.length === 1 && last === 'name') {
      return "use lowercase letters, digits, '.', '_' and '-' only, like 'mysql.extractor'";
    }
    if (path.length === 1 && last === 'version')
      return 'use a semantic version such as 1.0.0 or 1.2.0-beta.1';
    if (typeof last === 'number' && typeof parent === 'string' && POINTER_PARENTS.has(parent)) {
      return "write a JSON pointer: '/' followed by the config field name, e.g. /password";
    }
  }
  if (error.keyword === 'type' && path[0] === 'capabilities') return 'capability flags are true or false';
  if (error.keyword === 'type' && path.length === 1 && path[0] === 'version') {
    return 'use a full semantic version such as 1.0.0 (YAML reads 1 or 1.0 as a number)';
  }
  return undefined;
}

interface ParsedSpec {
  file: string;
  text: string;
  doc: LocatedDocument | undefined;
  spec: ComponentSpec | undefined;
  /** Parse and schema errors (basic level), plus the folder-name check. */
  diagnostics: Diagnostic[];
}

/** Built-in specs parsed and validated at build time (scripts/copy-assets.mjs), by path under the root. */
interface BundledSpec {
  text: string;
  spec: ComponentSpec;
}
let bundle: Map<string, BundledSpec> | undefined;

function bundledSpec(file: string, text: string): ComponentSpec | undefined {
  if (bundle === undefined) {
    const root = builtinComponentsRoot();
    try {
      const entries = JSON.parse(readFileSync(join(root, 'specs.json'), 'utf8')) as Record<
        string,
        BundledSpec
      >;
      bundle = new Map(Object.entries(entries).map(([rel, entry]) => [join(root, rel), entry]));
    } catch {
      bundle = new Map(); // running from src/, or an old build: parse every spec
    }
  }
  const hit = bundle.get(file);
  // Only for the exact bytes the build checked; an edited file is parsed and validated as usual.
  return hit && hit.text === text ? hit.spec : undefined;
}

function readSpec(file: string, folder: string | undefined): ParsedSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      file,
      text: '',
      doc: undefined,
      spec: undefined,
      diagnostics: [
        diagnostic(
          'error',
          REG.unreadable,
          `cannot read component spec: ${reason}`,
          { file },
          {
            hint: 'check the file exists and is readable',
          },
        ),
      ],
    };
  }
  const bundled = bundledSpec(file, text);
  if (bundled) {
    markBuildChecked(bundled);
    let located: LocatedDocument | undefined;
    return {
      file,
      text,
      // Positions are only needed for a diagnostic; parse them then.
      get doc() {
        located ??= parseLocatedYaml(text, file);
        return located;
      },
      spec: bundled,
      diagnostics: [],
    };
  }
  const doc = parseLocatedYaml(text, file);
  if (doc.errors.length > 0) {
    return {
      file,
      text,
      doc,
      spec: undefined,
      diagnostics: doc.errors.map((d) =>
        diagnostic(
          'error',
          REG.unreadable,
          `component spec is not valid YAML: ${d.message.replace(/^invalid YAML: /, '')}`,
          d.location,
          {
            hint: d.hint ?? 'fix the YAML syntax',
          },
        ),
      ),
    };
  }
  if (!isJsonObject(doc.value)) {
    return {
      file,
      text,
      doc,
      spec: undefined,
      diagnostics: [
        diagnostic('error', REG.schema, 'a component spec must be a mapping of fields', doc.locate([]), {
          hint: 'start with `name:`, `version:`, `modes:`, `capabilities:` and `configSchema:`',
        }),
      ],
    };
  }
  const validate = getSpecValidator();
  const diagnostics: Diagnostic[] = [];
  if (!validate(doc.value)) {
    diagnostics.push(
      ...schemaErrorsToDiagnostics(validate.errors, {
        doc,
        basePath: [],
        instance: doc.value,
        code: REG.schema,
        hintFor: specHint,
      }),
    );
  }
  const name = doc.value.name;
  if (folder !== undefined && typeof name === 'string' && name !== folder) {
    diagnostics.push(
      diagnostic(
        'error',
        REG.folderMismatch,
        `component '${name}' lives in folder '${folder}'; the folder name must equal the spec name`,
        doc.locate(['name'], 'value'),
        { hint: `rename the folder to '${name}' or set \`name: ${folder}\`` },
      ),
    );
  }
  return {
    file,
    text,
    doc,
    spec: diagnostics.some(isError) ? undefined : (doc.value as unknown as ComponentSpec),
    diagnostics,
  };
}

/** Folder name to check against, for files named spec.yaml/spec.json; undefined for loose files. */
function folderOf(file: string): string | undefined {
  return SPEC_FILES.includes(basename(file)) ? basename(dirname(file)) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Loading

const cache = new Map<string, { signature: string; registry: Registry }>();

/** Forgets every cached registry. */
export function clearRegistryCache(): void {
  cache.clear();
}

function signatureOf(files: readonly SpecFile[]): string {
  return files
    .map((f) => {
      const st = statSync(f.specPath, { bigint: true });
      return `${f.specPath}\0${st.mtimeNs}\0${st.size}\0${f.driverPath ?? f.typescriptDriver ?? ''}`;
    })
    .join('\n');
}

/**
 * Loads every component spec under the roots (and the project's `components/` folder). Cached per roots
 * in-process and reloaded when a spec file or driver appears, disappears or changes.
 */
export function loadRegistry(options: LoadRegistryOptions = {}): Registry {
  const sources = sourcesOf(options);
  const key = sources.map((s) => `${s.origin}:${s.root}`).join('\n');
  const files = discoverSpecFiles(options);
  const signature = signatureOf(files);
  if (!options.fresh) {
    const hit = cache.get(key);
    if (hit && hit.signature === signature) return hit.registry;
  }

  const components: LoadedComponent[] = [];
  const problems: Diagnostic[] = [];
  for (const { root, origin } of sources) {
    if (origin === 'builtin' && !isDir(root)) {
      problems.push(
        diagnostic(
          'error',
          REG.missingRoot,
          `components folder not found: ${root}`,
          {},
          {
            hint: 'reinstall Osiris, or run `npm run build` in a checkout (it copies the specs into dist/)',
          },
        ),
      );
    }
  }
  const byName = new Map<string, SpecFile>();
  for (const file of files) {
    const parsed = readSpec(file.specPath, file.folder);
    problems.push(...parsed.diagnostics);
    if (!parsed.spec) continue;
    const name = parsed.spec.name;
    const first = byName.get(name);
    if (first) {
      const userClash = file.origin === 'user' && first.origin === 'builtin';
      problems.push(
        diagnostic(
          'error',
          REG.duplicate,
          userClash
            ? `user component '${name}' has the same name as a built-in component; the built-in one is used`
            : `component '${name}' is defined twice; the one in ${first.specPath} is used`,
          parsed.doc?.locate(['name'], 'value') ?? { file: file.specPath },
          {
            hint: userClash
              ? `give it a name of its own (e.g. 'custom.${name.split('.').pop()}') and rename its folder to match`
              : 'remove one of the two folders',
          },
        ),
      );
      continue;
    }
    byName.set(name, file);
    components.push({
      spec: parsed.spec,
      specPath: file.specPath,
      specText: parsed.text,
      driverPath: file.driverPath,
      ...(file.typescriptDriver ? { typescriptDriver: file.typescriptDriver } : {}),
    });
  }
  const registry = new Registry(components, sortDiagnostics(problems));
  cache.set(key, { signature, registry });
  return registry;
}

/** Whether a component was loaded from the project's own `components/` folder. */
export function originOf(component: LoadedComponent, options: LoadRegistryOptions = {}): ComponentOrigin {
  if (options.projectRoot === undefined) return 'builtin';
  const user = userComponentsRoot(options.projectRoot);
  return component.specPath.startsWith(`${user}/`) ? 'user' : 'builtin';
}

// ---------------------------------------------------------------------------------------------------
// Validation levels

export interface ValidateSpecOptions extends LoadRegistryOptions {
  /** Base for relative paths (default: the process cwd). */
  cwd?: string;
}

/**
 * Validates one spec, by component name (looked up under the roots) or by path (a spec file or the
 * folder holding it). `basic` = the spec schema (and folder name); `enhanced` = also configSchema compiles
 * and every example config passes it; `strict` = also every secret/redaction pointer, alias key and
 * connection field names a config field. Any basic error stops the later levels.
 */
export function validateSpec(
  target: string,
  level: ValidationLevel = 'enhanced',
  options: ValidateSpecOptions = {},
): Diagnostic[] {
  const asPath = resolve(options.cwd ?? process.cwd(), target);
  if (existsSync(asPath)) {
    let file = asPath;
    if (isDir(asPath)) {
      const found = SPEC_FILES.map((f) => join(asPath, f)).find((p) => existsSync(p));
      if (!found) {
        return [
          diagnostic(
            'error',
            REG.notFound,
            `no spec.yaml or spec.json in folder ${target}`,
            { file: target },
            {
              hint: 'a component folder holds spec.yaml (and driver.ts)',
            },
          ),
        ];
      }
      file = found;
    }
    return validateSpecFile(file, level);
  }
  const files = discoverSpecFiles(options);
  const match = files.find((f) => f.folder === target);
  if (!match) {
    const hint = didYouMean(
      target,
      files.map((f) => f.folder),
    );
    return [
      diagnostic(
        'error',
        REG.notFound,
        `unknown component '${target}' (and no such file)`,
        {},
        {
          hint: hint ?? 'run `osiris components list` to see the available components',
        },
      ),
    ];
  }
  return validateSpecFile(match.specPath, level);
}

/** Validates one spec file at a level; see `validateSpec`. */
export function validateSpecFile(file: string, level: ValidationLevel = 'enhanced'): Diagnostic[] {
  const parsed = readSpec(file, folderOf(file));
  const out = [...parsed.diagnostics];
  const typescript = typescriptDriverBeside(file);
  if (typescript) {
    const name = parsed.spec?.name ?? folderOf(file) ?? basename(file);
    out.push(typescriptDriverDiagnostic(name, typescript, { file: typescript }));
  }
  if (!parsed.spec || !parsed.doc || level === 'basic') return out;
  const enhanced = checkEnhanced(parsed.spec, parsed.doc);
  out.push(...enhanced);
  if (level === 'strict' && !enhanced.some(isError)) out.push(...checkStrict(parsed.spec, parsed.doc));
  return out;
}

function checkEnhanced(spec: ComponentSpec, doc: LocatedDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ajv = newAjv({ allErrors: true, strict: false, verbose: true });
  const configSchema = spec.configSchema as JsonObject;
  if (!ajv.validateSchema(configSchema)) {
    out.push(
      ...schemaErrorsToDiagnostics(ajv.errors, {
        doc,
        basePath: ['configSchema'],
        instance: configSchema,
        code: REG.configSchema,
        prefix: 'configSchema is not a valid JSON Schema: ',
        hintFor: () => 'see https://json-schema.org/draft/2020-12 for the keyword',
      }),
    );
    return out;
  }
  let validateConfig: ValidateFunction;
  try {
    validateConfig = ajv.compile(configSchema);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    out.push(
      diagnostic(
        'error',
        REG.configSchema,
        `configSchema cannot be compiled: ${reason}`,
        doc.locate(['configSchema'], 'key'),
        {
          hint: 'check $ref targets and regular expressions in `pattern`',
        },
      ),
    );
    return out;
  }
  (spec.examples ?? []).forEach((example, i) => {
    if (validateConfig(example.config)) return;
    out.push(
      ...schemaErrorsToDiagnostics(validateConfig.errors, {
        doc,
        basePath: ['examples', i, 'config'],
        instance: example.config,
        code: REG.example,
        prefix: `example ${i + 1} ('${example.title}') does not match configSchema: `,
      }),
    );
  });
  return out;
}

/** Pointers into these are always accepted: they address runtime data, not step config fields. */
const RUNTIME_POINTER_HEADS = new Set(['resolved_connection', 'auth', 'credentials', 'connection']);

function pointerMatchesConfig(pointer: string, configSchema: JsonObject): boolean {
  const segs = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (RUNTIME_POINTER_HEADS.has(segs[0] ?? '')) return true;
  let schema: JsonValue | undefined = configSchema;
  for (const seg of segs) {
    if (!isJsonObject(schema)) return true;
    const props: JsonValue | undefined = schema.properties;
    // A field without declared sub-properties (free-form mapping, list, string) accepts any deeper pointer.
    if (!isJsonObject(props)) return schema !== configSchema;
    if (!(seg in props)) return false;
    schema = props[seg];
  }
  return true;
}

function checkStrict(spec: ComponentSpec, doc: LocatedDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const configSchema = spec.configSchema as JsonObject;
  const properties = Object.keys(spec.configSchema.properties);
  const suggest = (name: string): string =>
    didYouMean(name, properties) ?? `config fields: ${[...properties].sort().join(', ') || '(none)'}`;

  const pointerLists: [DocPath, readonly string[] | undefined][] = [
    [['secrets'], spec.secrets],
    [['x-secret'], spec['x-secret']],
    [['redaction', 'extras'], spec.redaction?.extras],
  ];
  const logging = spec.loggingPolicy;
  if (isJsonObject(logging) && Array.isArray(logging.sensitivePaths)) {
    pointerLists.push([['loggingPolicy', 'sensitivePaths'], logging.sensitivePaths.map(String)]);
  }
  for (const [path, pointers] of pointerLists) {
    // x-secret exists to name runtime-only values too, so a stray pointer there is only suspicious.
    const severity = path[0] === 'x-secret' ? 'warning' : 'error';
    (pointers ?? []).forEach((pointer, i) => {
      if (pointerMatchesConfig(pointer, configSchema)) return;
      const head = pointer.split('/')[1] ?? '';
      out.push(
        diagnostic(
          severity,
          REG.pointer,
          `${path.join('.')} pointer '${pointer}' names no field of configSchema`,
          doc.locate([...path, i], 'value'),
          {
            hint:
              closestMatch(head, properties) !== undefined
                ? `did you mean '/${closestMatch(head, properties)}'?`
                : `declare '${head}' under configSchema.properties, or point into /resolved_connection/… for a connection value`,
          },
        ),
      );
    });
  }

  const aliases = spec.llmHints?.inputAliases;
  if (isJsonObject(aliases)) {
    for (const key of Object.keys(aliases)) {
      if (properties.includes(key)) continue;
      out.push(
        diagnostic(
          'error',
          REG.alias,
          `llmHints.inputAliases has aliases for '${key}', which is not a config field`,
          doc.locate(['llmHints', 'inputAliases', key], 'key'),
          { hint: suggest(key) },
        ),
      );
    }
  }

  (spec['x-connection-fields'] ?? []).forEach((field, i) => {
    const name = typeof field === 'string' ? field : field.name;
    if (properties.includes(name)) return;
    out.push(
      diagnostic(
        'error',
        REG.connectionField,
        `x-connection-fields names '${name}', which is not a config field`,
        doc.locate(['x-connection-fields', i], 'value'),
        {
          hint:
            didYouMean(name, properties) ??
            `declare '${name}' under configSchema.properties too (config fields: ${[...properties].sort().join(', ')})`,
        },
      ),
    );
  });

  (spec.configSchema.required ?? []).forEach((name, i) => {
    if (properties.includes(name)) return;
    out.push(
      diagnostic(
        'error',
        REG.required,
        `configSchema.required lists '${name}', which is not a config field`,
        doc.locate(['configSchema', 'required', i], 'value'),
        { hint: suggest(name) },
      ),
    );
  });
  return out;
}

/**
 * REG014: a project component whose driver is TypeScript. Osiris supports Node 20, which cannot import
 * `.ts`; rather than fail at run time with "Unknown file extension", validate and compile refuse it.
 */
export function typescriptDriverDiagnostic(
  component: string,
  driverFile: string,
  location: SourceLocation,
  stepId?: string,
): Diagnostic {
  return diagnostic(
    'error',
    REG.typescriptDriver,
    `component '${component}' has a TypeScript driver (${driverFile}), which Node cannot load`,
    location,
    {
      hint: `compile it to driver.js in the same folder (e.g. \`npx tsc --module nodenext --target es2022 ${basename(driverFile)}\`), or write the driver in JavaScript as driver.mjs; see docs/guides/new-component.md`,
      ...(stepId !== undefined ? { stepId } : {}),
    },
  );
}
