/** In-memory registry and helpers for the OML tests (independent of the shipped specs). */
import { Registry } from '../../../src/registry/registry.js';
import type { ComponentSpec, LoadedComponent } from '../../../src/registry/types.js';
import { type LocatedDocument, parseLocatedYaml } from '../../../src/yaml/located.js';

function component(
  spec: Omit<ComponentSpec, 'version' | 'capabilities'> & Partial<ComponentSpec>,
): LoadedComponent {
  const full = { version: '1.0.0', capabilities: {}, ...spec } as ComponentSpec;
  return {
    spec: full,
    specPath: `/fixtures/${full.name}/spec.yaml`,
    specText: JSON.stringify(full),
    driverPath: undefined,
  };
}

export const fixtureComponents: LoadedComponent[] = [
  component({
    name: 'duckdb.processor',
    modes: ['transform'],
    configSchema: {
      type: 'object',
      properties: { query: { type: 'string', minLength: 1, description: 'SQL over the input tables' } },
      required: ['query'],
      additionalProperties: false,
    },
  }),
  component({
    name: 'mysql.extractor',
    modes: ['extract', 'discover'],
    configSchema: {
      type: 'object',
      properties: {
        host: { type: 'string' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        database: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        schema: { type: 'string' },
        table: { type: 'string' },
        query: { type: 'string' },
        limit: { type: 'integer', minimum: 1 },
        columns: { type: 'array', items: { type: 'string' } },
        pool_size: { type: 'integer', 'x-no-effect': 'each step opens its own connection' },
      },
      required: ['host', 'database', 'user', 'password'],
      oneOf: [{ required: ['query'] }, { required: ['table'] }],
      dependentRequired: { columns: ['table'] },
    },
    secrets: ['/password'],
    'x-connection-fields': [
      { name: 'host', override: 'allowed' },
      'port',
      { name: 'database', override: 'forbidden' },
      { name: 'user', override: 'forbidden' },
      { name: 'password', override: 'forbidden' },
      { name: 'schema', override: 'warning' },
    ],
  }),
  component({
    name: 'postgres.writer',
    modes: ['write'],
    configSchema: {
      type: 'object',
      properties: {
        table: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        write_mode: { type: 'string', enum: ['append', 'replace', 'upsert'] },
        primary_key: {
          oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
        },
        batch_size: { type: 'integer', minimum: 1, maximum: 100000 },
        options: {
          type: 'object',
          properties: { create_table: { type: 'boolean' } },
          required: ['create_table'],
          additionalProperties: false,
        },
        host: { type: 'string' },
        password: { type: 'string' },
      },
      required: ['table', 'host', 'password'],
      if: { properties: { write_mode: { const: 'upsert' } }, required: ['write_mode'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then keyword
      then: { required: ['primary_key'] },
    },
    llmHints: { inputAliases: { write_mode: ['load_mode', 'disposition'], table: ['table_name'] } },
    secrets: ['/password', '/resolved_connection/dsn'],
    'x-connection-fields': ['host', { name: 'password', override: 'forbidden' }],
  }),
  component({
    name: 'filesystem.csv_extractor',
    modes: ['extract', 'discover'],
    configSchema: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        delimiter: { type: 'string', maxLength: 1 },
        header: { anyOf: [{ type: 'boolean' }, { type: 'integer' }] },
        base_dir: { type: 'string' },
        endpoint: { type: 'string', format: 'uri' },
      },
      required: ['path'],
    },
    'x-connection-fields': ['base_dir'],
  }),
  component({
    name: 'filesystem.csv_writer',
    modes: ['write'],
    configSchema: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        delimiter: { type: 'string', maxLength: 1 },
        encoding: { type: 'string', enum: ['utf-8', 'utf-16', 'ascii', 'latin-1'] },
        newline: { type: 'string', enum: ['lf', 'crlf'] },
        header: { type: 'boolean' },
      },
      required: ['path'],
      additionalProperties: false,
    },
  }),
  component({
    name: 'custom.writer',
    modes: ['write', 'load'],
    configSchema: {
      type: 'object',
      properties: {
        target: { type: 'string' },
        mode: { type: 'string' },
        write_mode: { type: 'string' },
        upsert_keys: { type: 'array' },
      },
    },
  }),
  component({
    name: 'graphql.extractor',
    modes: ['extract'],
    configSchema: {
      type: 'object',
      properties: {
        endpoint: { type: 'string' },
        auth_token: { type: 'string' },
        headers: { type: 'object' },
      },
      required: ['endpoint'],
    },
    secrets: ['/auth_token', '/headers'],
  }),
  component({
    name: 'posthog.discoverer',
    modes: ['discover'],
    configSchema: { type: 'object', properties: {} },
  }),
];

export const registry = new Registry(fixtureComponents);

export const FILE = 'pipeline.yaml';

export function doc(text: string): LocatedDocument {
  return parseLocatedYaml(text, FILE);
}

/** Strips common leading indentation so tests can indent YAML. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = raw.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return `${lines
    .map((l) => l.slice(indent))
    .join('\n')
    .trimEnd()}\n`;
}
