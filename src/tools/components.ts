/** Components (what a pipeline can use, with the fields each one requires), one spec, the OML schema. */
import { z } from 'zod';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { LoadedComponent } from '../registry/types.js';
import type { ToolContext } from './context.js';
import { defineTool } from './spec.js';

export const componentsList = defineTool({
  name: 'components_list',
  title: 'List components',
  description:
    'List the pipeline components this Osiris can run: name, OML modes, the config fields each requires, ' +
    'and a one-paragraph description. Read a component_spec before using one.',
  input: {},
  output: {
    components: z.array(
      z.object({
        name: z.string(),
        version: z.string(),
        modes: z.array(z.string()),
        required_fields: z.array(z.string()),
        description: z.string(),
      }),
    ),
  },
  readOnly: true,
  async execute(ctx) {
    const { describeFields } = await import('../registry/describe.js');
    const { omlModesOf } = await import('../registry/registry.js');
    return {
      components: runnable(ctx).map(({ spec }) => ({
        name: spec.name,
        version: spec.version,
        modes: omlModesOf(spec),
        required_fields: describeFields(ctx.registry, spec.name)
          .filter((f) => f.required)
          .map((f) => f.name),
        description: (spec.description ?? '').trim(),
      })),
    };
  },
});

export function runnable(ctx: ToolContext): LoadedComponent[] {
  return ctx.registry.list().filter((c) => c.driverPath !== undefined);
}

export async function findComponent(ctx: ToolContext, name: string): Promise<LoadedComponent> {
  const component = ctx.registry.get(name);
  if (component) return component;
  const [{ didYouMean }, { REG }] = await Promise.all([
    import('../diagnostics/suggest.js'),
    import('../registry/load.js'),
  ]);
  throw OsirisError.of(
    REG.notFound,
    `unknown component '${name}'`,
    {},
    { hint: didYouMean(name, ctx.registry.names()) ?? 'call components_list to see them all' },
  );
}

export const componentSpec = defineTool({
  name: 'component_spec',
  title: 'Read a component spec',
  description:
    'Read one component: its config JSON Schema (keys, types, required, defaults), the fields a connection ' +
    'provides, which keys are secrets, examples and hints for writing OML.',
  input: { name: z.string().min(1).max(200).describe('component name, e.g. mysql.extractor') },
  output: {
    name: z.string(),
    version: z.string(),
    modes: z.array(z.string()),
    description: z.string(),
    config_schema: z.record(z.string(), z.unknown()),
    connection_fields: z.array(z.string()),
    secret_fields: z.array(z.string()),
    examples: z.array(z.record(z.string(), z.unknown())),
    hints: z.record(z.string(), z.unknown()),
  },
  readOnly: true,
  async execute(ctx, args) {
    const { spec } = await findComponent(ctx, args.name);
    const { omlModesOf } = await import('../registry/registry.js');
    return {
      name: spec.name,
      version: spec.version,
      modes: omlModesOf(spec),
      description: (spec.description ?? '').trim(),
      config_schema: spec.configSchema as unknown as Record<string, unknown>,
      connection_fields: ctx.registry.connectionFields(spec.name).map((f) => f.name),
      secret_fields: [...(spec.secrets ?? [])],
      examples: (spec.examples ?? []).map((e) => ({ ...e })),
      hints: spec.llmHints ?? {},
    };
  },
});

export const omlSchema = defineTool({
  name: 'oml_schema',
  title: 'OML JSON Schema',
  description:
    'The JSON Schema of an OML v0.1.0 pipeline document (component names are the runnable ones). ' +
    'Validate with oml_validate: it also checks each config against its component and the SQL.',
  input: {},
  output: { version: z.string(), schema: z.record(z.string(), z.unknown()) },
  readOnly: true,
  async execute(ctx) {
    const [{ omlJsonSchema }, { OML_VERSION }] = await Promise.all([
      import('../oml/json-schema.js'),
      import('../oml/types.js'),
    ]);
    return { version: OML_VERSION, schema: omlJsonSchema(ctx.registry) };
  },
});
