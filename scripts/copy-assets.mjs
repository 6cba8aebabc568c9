// Copies non-TypeScript assets (component specs, JSON schemas) from src/ to dist/ after tsc.
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const assetExtensions = new Set(['.yaml', '.yml', '.json', '.md', '.html', '.css']);

function walk(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (assetExtensions.has(extname(entry))) cpSync(path, join(dist, relative(src, path)));
  }
}
walk(src);

// The component spec schema, compiled to code once here instead of by Ajv on every CLI start (~110 ms).
// CommonJS, so src/registry/load.ts can require it synchronously the first time a spec needs checking (a run
// of built-in components never does) instead of every start loading its ~95 KB; it compiles the schema
// itself when the file is absent (tests run from src/).
const { default: Ajv2020 } = await import('ajv/dist/2020.js');
const { default: standaloneCode } = await import('ajv/dist/standalone/index.js');
const requireBuilt = createRequire(import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true, code: { source: true } });
const validate = ajv.compile(JSON.parse(readFileSync(join(src, 'registry/spec-schema.json'), 'utf8')));
writeFileSync(join(dist, 'registry/spec-validator.cjs'), standaloneCode(ajv, validate));
// Their ES-module forms of earlier builds, which nothing loads any more.
rmSync(join(dist, 'registry/spec-validator.js'), { force: true });
rmSync(join(dist, 'components/config-validators.js'), { force: true });

// Built-in specs, parsed and checked once here: the registry reads this bundle instead of parsing YAML on
// every CLI start (it still parses any spec whose bytes differ from the bundled text).
const { parse: parseYaml } = await import('yaml');
const validateSpec = requireBuilt(join(dist, 'registry/spec-validator.cjs'));
const componentsDir = join(dist, 'components');
const specs = {};
const metaAjv = new Ajv2020({ strict: false });
for (const folder of readdirSync(componentsDir).sort()) {
  const file = join(componentsDir, folder, 'spec.yaml');
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue;
  }
  const spec = parseYaml(text);
  if (!validateSpec(spec) || spec.name !== folder) {
    console.error(
      `invalid built-in spec ${file}: ${JSON.stringify(validateSpec.errors ?? `name is not '${folder}'`)}`,
    );
    process.exit(1);
  }
  // Step validation trusts these configSchemas (src/registry/build-checked.ts): check them here instead.
  if (!metaAjv.validateSchema(spec.configSchema)) {
    console.error(`invalid configSchema in built-in spec ${file}: ${JSON.stringify(metaAjv.errors)}`);
    process.exit(1);
  }
  specs[`${folder}/spec.yaml`] = { text, spec };
}
writeFileSync(join(componentsDir, 'specs.json'), JSON.stringify(specs));

// Step-config validators of the built-in components, compiled to code here rather than by Ajv on every CLI
// start (~90 ms: loading Ajv and compiling). Two variants each: all required keys, and without the keys a
// `@connection` provides. One CommonJS file per component (components/<name>/config-validators.cjs, exporting
// `byKey`), so a run requires only the validators of the components it uses (all of them in one ES module
// were ~430 KB to load on every run). src/oml/config-schema.ts uses them for the bundled specs above and
// compiles any other schema itself. A schema with a custom `format` (functions, not code) is left to run time.
const { loadRegistry } = await import(join(dist, 'registry/load.js'));
const { CONFIG_FORMATS, stepConfigSchema, validatorKey } = await import(join(dist, 'oml/config-schema.js'));
const registry = loadRegistry();
const customFormat = new RegExp(`"format":"(${Object.keys(CONFIG_FORMATS).join('|')})"`);
for (const name of registry.names()) {
  const { spec } = registry.get(name);
  if (customFormat.test(JSON.stringify(spec.configSchema))) continue;
  const codeAjv = new Ajv2020({
    allErrors: true,
    strict: false,
    logger: false,
    verbose: true,
    validateSchema: false, // checked above
    code: { source: true },
  });
  const variants = new Map();
  for (const notRequired of [[], registry.connectionFields(name).map((f) => f.name)]) {
    variants.set(validatorKey(notRequired), notRequired);
  }
  const exported = {};
  const entries = [];
  for (const [key, notRequired] of variants) {
    const id = `v${Object.keys(exported).length}`;
    codeAjv.addSchema(stepConfigSchema(spec, notRequired), id);
    exported[id] = id;
    entries.push(`${JSON.stringify(key)}: exports.${id}`);
  }
  writeFileSync(
    join(componentsDir, name, 'config-validators.cjs'),
    `${standaloneCode(codeAjv, exported)}\nexports.byKey = { ${entries.join(', ')} };\n`,
  );
}
