/**
 * Renders `docs/reference/components.md` from the loaded specs, so the reference can never drift from them
 * (a unit test compares the committed file with this output).
 */
import { stringify } from 'yaml';
import { slugify } from '../util/slug.js';
import type { JsonValue } from '../yaml/json.js';
import { describeFields, describeRules } from './describe.js';
import { omlModesOf, type Registry } from './registry.js';
import type { LoadedComponent } from './types.js';

const POLICY_MEANING: Record<string, string> = {
  allowed: 'a step may set it to override the connection',
  warning: 'a step may override it; validation warns',
  forbidden: 'only the connection may set it; a step that sets it is rejected',
};

/** Prose on one line, with `<` outside code spans escaped so `<alias>` is not taken for an HTML tag. */
function prose(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') ? part : part.replace(/</g, '&lt;')))
    .join('');
}

/** Text for a Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return prose(text).replace(/\|/g, '\\|');
}

function code(value: JsonValue): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${text.replace(/\|/g, '\\|')}\``;
}

const INTRO = `# Components reference

<!-- Generated from src/components/*/spec.yaml by src/registry/docs.ts. Do not edit by hand:
     OSIRIS_UPDATE_DOCS=1 npx vitest run test/unit/registry/docs.test.ts -->

A component is one folder under \`src/components/<name>/\`: a \`spec.yaml\` that describes it and, once it can
run, a \`driver.ts\` beside it. A pipeline step names the component, an OML mode and a \`config\` that must
match the component's config schema. \`osiris components list\`, \`osiris components show <name>\` and
\`osiris components validate\` read the same specs as this page. Every read and write step, whatever its
component, also takes the step key \`retry\` (beside \`config\`, not in it): how it rides out transient errors —
see [retries](retries.md).

## The spec format

A spec is YAML checked against \`src/registry/spec-schema.json\` (JSON Schema 2020-12); unknown top-level
fields are rejected.

| field | required | what it holds |
|---|---|---|
| \`name\` | yes | \`<family>.<role>\` in lowercase, equal to the folder name, e.g. \`mysql.extractor\` |
| \`version\` | yes | semantic version, e.g. \`1.0.0\` |
| \`title\`, \`description\` | no | text for people and for the LLM |
| \`modes\` | yes | \`extract\`, \`write\`, \`transform\`, \`discover\`, \`analyze\`, \`stream\` (\`load\` is a deprecated \`write\`) |
| \`capabilities\` | yes | boolean flags: \`discover\`, \`adHocAnalytics\`, \`inMemoryMove\`, \`streaming\`, \`bulkOperations\`, \`transactions\`, \`partitioning\`, \`customTransforms\` |
| \`configSchema\` | yes | JSON Schema of the step config: \`type: object\`, \`properties\`, optional \`required\` and \`additionalProperties\` |
| \`secrets\` | no | JSON pointers to config fields holding secrets, e.g. \`/password\` |
| \`x-secret\` | no | more pointers to redact at run time, e.g. \`/resolved_connection/password\` |
| \`redaction\` | no | \`strategy\` (mask, drop, hash), \`mask\` text and \`extras\` pointers |
| \`x-connection-fields\` | no | fields a connection provides, as names or \`{name, override}\` |
| \`constraints\` | no | declarative cross-field rules and environment needs |
| \`examples\` | no | \`{title, config, notes}\`; every config must pass the config schema |
| \`llmHints\` | no | \`promptGuidance\` (≤ 500 characters), \`inputAliases\`, \`yamlSnippets\` (≤ 5), \`commonPatterns\` |
| \`loggingPolicy\`, \`limits\`, \`compatibility\` | no | logging defaults, resource limits, requirements |
| \`x-runtime\` | no | runtime metadata: \`serialReader: true\` marks an extractor whose rows arrive one at a time over a connection (it sizes the data plane, see docs/adr/0007); \`fuse: source | transform | sink\` marks a component that can run inside one streaming DuckDB statement with its neighbours (docs/adr/0018); \`driver\` is accepted for specs written for the Python tool (Osiris finds the driver beside the spec) |

A project can add its own components under \`<project>/components/<name>/spec.yaml\`; a name already used by a
built-in component is reported and the built-in one is used. A project component's driver is JavaScript
(\`driver.mjs\` or \`driver.js\`): a \`driver.ts\` cannot be loaded by Node and is refused (REG014). See
[Adding a component](../guides/new-component.md).

**Validation levels** (\`osiris components validate [<name|path>] --level …\`): \`basic\` checks the spec against
the schema and the folder name; \`enhanced\` (the default) also checks that \`configSchema\` is a valid JSON
Schema and that every example config passes it; \`strict\` also checks that every secret, redaction and
logging pointer, every \`llmHints.inputAliases\` key, every connection field and every \`required\` entry names
a config field. An invalid spec is reported with file:line:col and is left out of the registry.

## Modes

OML steps say \`mode: read\`, \`write\` or \`transform\`. \`read\` runs a component that declares \`extract\`;
\`write\` one that declares \`write\` (or the deprecated \`load\`); \`transform\` one that declares \`transform\`.
\`discover\` is used by discovery, never by a pipeline step.

## Connections and override policies

A step points at a connection from \`osiris_connections.yaml\` with \`config.connection: '@family.alias'\` (or
\`'@family'\` for the family's default alias). The fields listed under *Connection fields* then come from the
connection and are not required in the step. When a step sets one of them too, its policy decides:

| policy | meaning |
|---|---|
| \`allowed\` | ${POLICY_MEANING.allowed} |
| \`warning\` | ${POLICY_MEANING.warning} |
| \`forbidden\` | ${POLICY_MEANING.forbidden} |

A spec without \`x-connection-fields\` treats the fields named by its secret pointers as forbidden.

## Secrets

Fields named by \`secrets\` must never hold a literal value in a pipeline: the validator rejects them and the
compiler keeps them out of the build folder. They come from the connection, whose file references
environment variables (\`\${MYSQL_PASSWORD}\`). \`x-secret\` and \`redaction.extras\` add what is masked in logs,
events and reports at run time.
`;

function componentSection(registry: Registry, component: LoadedComponent): string {
  const { spec } = component;
  const lines: string[] = [];
  const omlModes = omlModesOf(spec);
  lines.push(`## ${spec.name}`, '');
  if (spec.title) lines.push(`**${spec.title}** — version ${spec.version}`, '');
  else lines.push(`Version ${spec.version}`, '');
  if (spec.description) lines.push(prose(spec.description), '');
  lines.push(
    `- **Modes:** ${spec.modes.map((m) => `\`${m}\``).join(', ')}${
      omlModes.length ? ` — in OML: ${omlModes.map((m) => `\`mode: ${m}\``).join(', ')}` : ''
    }`,
  );
  lines.push(
    `- **Runnable:** ${component.driverPath !== undefined ? 'yes' : 'not yet (no driver; compiling a pipeline that uses it fails)'}`,
  );
  const caps = Object.entries(spec.capabilities)
    .filter(([, v]) => v)
    .map(([k]) => `\`${k}\``);
  lines.push(`- **Capabilities:** ${caps.length ? caps.join(', ') : 'none'}`, '');

  const fields = describeFields(registry, spec.name);
  lines.push('### Config', '');
  lines.push('| field | type | required | default | description |', '|---|---|---|---|---|');
  for (const f of fields) {
    const notes: string[] = [];
    if (f.connection) notes.push(`*From the connection (override ${f.connection}).*`);
    if (f.secret) notes.push('*Secret.*');
    lines.push(
      `| \`${f.name}\` | ${cell(f.type)} | ${f.required ? 'yes' : ''} | ${
        f.default !== undefined ? code(f.default) : ''
      } | ${cell([f.description, ...notes].filter(Boolean).join(' '))} |`,
    );
  }
  lines.push('');
  const rules = describeRules(spec);
  if (rules.length > 0) {
    lines.push('Rules:', '');
    for (const r of rules) lines.push(`- ${r}`);
    lines.push('');
  }

  const connectionFields = registry.connectionFields(spec.name);
  if (connectionFields.length > 0) {
    const family = spec.name.split('.')[0] ?? spec.name;
    lines.push('### Connection fields', '');
    lines.push(`Provided by \`connection: '@${family}.<alias>'\`.`, '');
    lines.push('| field | override | meaning |', '|---|---|---|');
    for (const f of connectionFields) {
      lines.push(`| \`${f.name}\` | \`${f.override}\` | ${POLICY_MEANING[f.override] ?? ''} |`);
    }
    lines.push('');
  }

  const secrets = spec.secrets ?? [];
  const redacted = [...new Set([...(spec['x-secret'] ?? []), ...(spec.redaction?.extras ?? [])])].filter(
    (p) => !secrets.includes(p),
  );
  lines.push('### Secrets', '');
  lines.push(
    secrets.length ? `Secret fields: ${secrets.map((s) => `\`${s}\``).join(', ')}.` : 'No secret fields.',
  );
  if (redacted.length)
    lines.push(`Also redacted at run time: ${redacted.map((s) => `\`${s}\``).join(', ')}.`);
  lines.push('');

  const examples = spec.examples ?? [];
  if (examples.length > 0) {
    lines.push('### Examples', '');
    const mode = omlModes[0];
    for (const ex of examples) {
      lines.push(`**${prose(ex.title)}**${ex.notes ? ` — ${prose(ex.notes)}` : ''}`, '');
      const step: Record<string, JsonValue> = { id: slugify(ex.title) || 'step', component: spec.name };
      if (mode) step.mode = mode;
      step.config = ex.config;
      lines.push('```yaml', stringify([step], { lineWidth: 0 }).trimEnd(), '```', '');
    }
  }
  return lines.join('\n');
}

/** The whole Markdown page for the registry's components, in name order. */
export function renderComponentsReference(registry: Registry): string {
  const parts = [INTRO];
  const list = registry.list();
  const summary = [
    '## Components',
    '',
    '| component | version | OML modes | runnable | description |',
    '|---|---|---|---|---|',
    ...list.map((c) => {
      const first =
        (c.spec.description ?? '')
          .replace(/\s+/g, ' ')
          .trim()
          .match(/^.*?[.!?](?=\s|$)/)?.[0] ?? '';
      return `| [\`${c.spec.name}\`](#${c.spec.name.replace(/[^a-z0-9_-]/g, '')}) | ${c.spec.version} | ${omlModesOf(c.spec).join(', ')} | ${
        c.driverPath !== undefined ? 'yes' : 'no'
      } | ${cell(first)} |`;
    }),
    '',
  ].join('\n');
  parts.push(summary);
  for (const c of list) parts.push(componentSection(registry, c));
  return `${parts.join('\n').trimEnd()}\n`;
}
