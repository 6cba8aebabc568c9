// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the schema describes OML, whose ${…} placeholders are literal text
/**
 * The JSON Schema of an OML v0.1.0 document, for models and editors. It states the document's shape;
 * the validator (src/oml/validate.ts) remains the authority and adds what a schema cannot say (references
 * between steps, a component's config schema per mode, connections). Built from the validator's own
 * patterns and key lists so the two cannot drift apart.
 */
import type { Registry } from '../registry/registry.js';
import { omlModesOf } from '../registry/registry.js';
import type { JsonObject } from '../yaml/json.js';
import { OML_VERSION } from './types.js';
import { CONNECTION_REF_PATTERN, INPUT_NAME_PATTERN, NAME_PATTERN, STEP_ID_PATTERN } from './validate.js';

export const OML_SCHEMA_ID = `https://osiris.dev/schemas/oml-${OML_VERSION}.schema.json`;

/** The schema; with a registry, `component` is one of its runnable components. */
export function omlJsonSchema(registry?: Registry): JsonObject {
  const components = registry
    ?.list()
    .filter((c) => c.driverPath !== undefined && omlModesOf(c.spec).length > 0)
    .map((c) => c.spec.name)
    .sort();
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: OML_SCHEMA_ID,
    title: `OML ${OML_VERSION} pipeline`,
    type: 'object',
    required: ['oml_version', 'name', 'steps'],
    additionalProperties: false,
    properties: {
      oml_version: { const: OML_VERSION },
      name: {
        type: 'string',
        pattern: NAME_PATTERN.source,
        description: 'lower-case slug, e.g. movies-to-csv',
      },
      description: { type: 'string' },
      metadata: { type: 'object' },
      params: {
        type: 'object',
        description: 'params used as ${params.<name>}; each value is a default, or {default, description}',
      },
      profiles: { type: 'object', description: 'per-profile param values' },
      schedule: { description: 'kept for the scheduler; not used by the compiler' },
      steps: { type: 'array', minItems: 1, items: { $ref: '#/$defs/step' } },
    },
    $defs: {
      step: {
        type: 'object',
        required: ['id', 'component', 'mode'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: STEP_ID_PATTERN.source },
          component: components?.length
            ? { type: 'string', enum: components }
            : { type: 'string', description: 'a registry component, e.g. mysql.extractor' },
          mode: { enum: ['read', 'write', 'transform'] },
          needs: {
            type: 'array',
            items: { type: 'string' },
            description: 'upstream step ids; without needs or inputs a step follows the previous one',
          },
          inputs: {
            type: 'object',
            propertyNames: { pattern: INPUT_NAME_PATTERN.source },
            additionalProperties: { type: 'string', pattern: '^\\$\\{[A-Za-z0-9][A-Za-z0-9_-]*\\.df\\}$' },
            description: 'named upstream outputs, e.g. {movies: "${extract.df}"}',
          },
          retry: {
            description:
              'how a read or write step rides out transient errors: false, true, or {attempts: 1-10, backoff: "2s" | {initial, max}} (docs/reference/retries.md)',
            anyOf: [
              { type: 'boolean' },
              {
                type: 'object',
                additionalProperties: false,
                properties: {
                  attempts: { type: 'integer', minimum: 1, maximum: 10 },
                  backoff: {
                    anyOf: [
                      { type: ['string', 'number'] },
                      {
                        type: 'object',
                        additionalProperties: false,
                        properties: {
                          initial: { type: ['string', 'number'] },
                          max: { type: ['string', 'number'] },
                        },
                      },
                    ],
                  },
                },
              },
            ],
          },
          config: {
            type: 'object',
            description: "the component's config (see its spec); a database step names `connection`",
            properties: {
              connection: {
                type: 'string',
                description: `'@family.alias' (${CONNECTION_REF_PATTERN.source}) or a \${params.…} placeholder`,
              },
            },
          },
        },
      },
    },
  };
}
