/**
 * The tools the model drives the agent with. Arguments are schema-checked (zod) before anything runs; every
 * result passes through the session redactor; none of them can write data or run a pipeline that the user
 * has not approved. Each tool reports its activity so the terminal can show a spinner and the state machine
 * can move.
 */
import { type ToolSet, tool } from 'ai';
import { z } from 'zod';
import type { ConnectionsConfig } from '../connections/config.js';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { Redactor } from '../observability/redact.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import { omlModesOf } from '../registry/registry.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';
import {
  checkDraft,
  diagnosticsForModel,
  type GateOptions,
  proposeDraft,
  type SessionDiscovery,
} from './pipeline-gate.js';
import type { AgentState } from './state.js';
import type { Proposal, SessionStore } from './store.js';

/** Sample rows the model may ask for per table, and rows per query: small on purpose. */
export const MAX_TOOL_SAMPLES = 20;
export const MAX_QUERY_ROWS = 50;
/** Databases with at most this many tables are described whole on the first discovery. */
export const AUTO_DESCRIBE_TABLES = 20;

/** What the agent and its tools share: the project, its connections, the session and the redactor. */
export interface AgentContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  project: ProjectConfig;
  registry: Registry;
  connections: ConnectionsConfig | undefined;
  store: SessionStore;
  redactor: Redactor;
  maxRepairAttempts: number;
}

export interface ToolHost extends AgentContext {
  /** Moves the state machine (ignored when the move is not allowed from the current state). */
  moveTo(state: AgentState, reason: string): void;
  activity(event: { tool: string; phase: 'start' | 'end'; label: string; ok?: boolean }): void;
  proposed(proposal: Proposal, warnings: JsonValue[]): void;
  /** Runs the approved proposal (the agent checks approval again). */
  runApproved(manifestHash: string): Promise<JsonObject>;
}

function errorResult(error: unknown, redactor: Redactor): { ok: false; error: string; hint?: string } {
  if (error instanceof OsirisError) {
    const first = error.diagnostics[0];
    return {
      ok: false,
      error: redactor.redactText(error.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')),
      ...(first?.hint ? { hint: redactor.redactText(first.hint) } : {}),
    };
  }
  return { ok: false, error: redactor.redactText(error instanceof Error ? error.message : String(error)) };
}

/** Wraps a tool body: activity events around it, redaction of what it returns, errors as results. */
async function guarded<T>(
  host: ToolHost,
  name: string,
  label: string,
  body: () => Promise<T>,
): Promise<JsonValue> {
  host.activity({ tool: name, phase: 'start', label });
  try {
    const result = host.redactor.redactValue(await body());
    host.activity({ tool: name, phase: 'end', label, ok: true });
    return result;
  } catch (error) {
    host.activity({ tool: name, phase: 'end', label, ok: false });
    return errorResult(error, host.redactor) as unknown as JsonValue;
  }
}

const connectionArg = z
  .string()
  .regex(/^@[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$/)
  .describe('connection reference, e.g. @mysql.movies or @postgres (the default alias)');

function mergeDiscovery(previous: SessionDiscovery | undefined, next: SessionDiscovery): SessionDiscovery {
  if (!previous) return next;
  const key = (t: { schema: string | null; name: string }) => `${t.schema ?? ''}.${t.name}`;
  const described = new Map(previous.described.map((t) => [key(t), t]));
  for (const t of next.described) described.set(key(t), t);
  return { ...next, described: [...described.values()] };
}

export function createTools(host: ToolHost): ToolSet {
  const gateOptions = (): GateOptions => ({
    project: host.project,
    registry: host.registry,
    env: host.env,
    dir: host.store.dir,
    discoveries: host.store.discoveries(),
  });

  /** A new draft from the model: kept in the session, then validated. */
  const receiveDraft = (oml: string): void => {
    host.moveTo('OML_SYNTHESIS', 'draft received');
    host.store.setOml(oml);
    host.moveTo('VALIDATE_OML', 'validate');
  };

  /** Counts a failed validation and tells the model what to fix and how many attempts remain. */
  const failedAttempt = (diagnostics: Parameters<typeof diagnosticsForModel>[0]): JsonObject => {
    const used = host.store.repairAttempts + 1;
    host.store.setRepairAttempts(used);
    host.moveTo('REPAIR', `validation failed (attempt ${used})`);
    const left = host.maxRepairAttempts - used;
    return {
      ok: false,
      errors: diagnosticsForModel(diagnostics),
      repair_attempts_left: Math.max(left, 0),
      ...(left < 0 ? { note: 'no repair attempts left: explain the remaining errors to the user' } : {}),
    };
  };

  return {
    list_connections: tool({
      description:
        'List the configured connections (references and non-secret details; secrets are never shown).',
      inputSchema: z.object({}),
      execute: async () =>
        guarded(host, 'list_connections', 'listing connections', async () => {
          const { listConnections } = await import('../connections/list.js');
          const result = await listConnections({ cwd: host.cwd, env: host.env, registry: host.registry });
          return result.connections.map((c) => ({
            reference: c.reference,
            family: c.family,
            default: c.is_default,
            summary: c.summary,
          }));
        }),
    }),

    discover_schema: tool({
      description:
        'Discover a database connection: without tables, list its tables with row estimates; with tables, ' +
        'also their columns, types, keys and a few sample rows (secret-like columns masked).',
      inputSchema: z.object({
        connection: connectionArg,
        tables: z
          .array(z.string().min(1))
          .max(20)
          .optional()
          .describe('tables to describe (name or schema.name)'),
        samples: z
          .number()
          .int()
          .min(0)
          .max(MAX_TOOL_SAMPLES)
          .optional()
          .describe('sample rows per table (default 5)'),
      }),
      execute: async ({ connection, tables, samples }) =>
        guarded(host, 'discover_schema', `discovering ${connection}`, async () => {
          host.moveTo('DISCOVERY', `discover ${connection}`);
          const { discover } = await import('../discovery/discover.js');
          const base = {
            ref: connection,
            project: host.project,
            env: host.env,
            registry: host.registry,
            cwd: host.cwd,
            ...(host.connections ? { connections: host.connections } : {}),
          };
          let result = await discover(tables?.length ? { ...base, tables, samples: samples ?? 5 } : base);
          // A small database is described whole at once: every table the SQL may use can then be bind-checked.
          if (!tables?.length && result.tables.length <= AUTO_DESCRIBE_TABLES) {
            result = await discover({ ...base, samples: samples ?? 3 });
          }
          const isDefault =
            host.connections?.families
              .find((f) => f.name === result.family)
              ?.aliases.find((a) => a.alias === result.alias)?.isDefault ?? false;
          const record: SessionDiscovery = {
            connection: result.connection,
            family: result.family,
            alias: result.alias,
            isDefault,
            tables: result.tables.map((t) => ({
              schema: t.schema,
              name: t.name,
              kind: t.kind,
              rowEstimate: t.rowEstimate,
            })),
            described: result.described.map((t) => ({
              schema: t.schema,
              name: t.name,
              primaryKey: t.primaryKey,
              columns: t.columns.map((c) => ({ name: c.name, duckdbType: c.duckdbType })),
            })),
          };
          const previous = host.store.discoveries().get(result.connection) as unknown as
            | SessionDiscovery
            | undefined;
          host.store.putDiscovery(
            result.connection,
            mergeDiscovery(previous, record) as unknown as JsonValue,
          );
          return {
            connection: result.connection,
            tables: record.tables,
            described: result.described.map((t) => ({
              table: t.schema ? `${t.schema}.${t.name}` : t.name,
              primary_key: t.primaryKey,
              columns: t.columns.map((c) => ({ name: c.name, type: c.sourceType, nullable: c.nullable })),
              sample_rows: t.samples,
              masked_columns: t.maskedColumns,
            })),
          };
        }),
    }),

    run_query: tool({
      description:
        'Run one read-only SQL query (SELECT/WITH/SHOW/DESCRIBE/EXPLAIN) on a connection and get at most ' +
        `${MAX_QUERY_ROWS} rows. Use it to check values or answer questions about the data.`,
      inputSchema: z.object({
        connection: connectionArg,
        sql: z.string().min(1).max(20_000),
        limit: z.number().int().min(1).max(MAX_QUERY_ROWS).optional(),
      }),
      execute: async ({ connection, sql, limit }) =>
        guarded(host, 'run_query', `querying ${connection}`, async () => {
          host.moveTo('DISCOVERY', `query ${connection}`);
          const { runReadOnlyQuery } = await import('../discovery/query.js');
          const result = await runReadOnlyQuery({
            ref: connection,
            project: host.project,
            env: host.env,
            registry: host.registry,
            cwd: host.cwd,
            ...(host.connections ? { connections: host.connections } : {}),
            sql,
            limit: limit ?? 20,
          });
          return { columns: result.columns, rows: result.rows, truncated: result.truncated };
        }),
    }),

    list_components: tool({
      description: 'List the pipeline components this Osiris can run, with their modes.',
      inputSchema: z.object({}),
      execute: async () =>
        guarded(host, 'list_components', 'listing components', async () =>
          host.registry
            .list()
            .filter((c) => c.driverPath !== undefined)
            .map(({ spec }) => ({
              name: spec.name,
              modes: omlModesOf(spec),
              description: spec.description ?? '',
            })),
        ),
    }),

    get_component_spec: tool({
      description: "Read a component's config schema (keys, types, required, defaults), examples and hints.",
      inputSchema: z.object({ name: z.string().min(1) }),
      execute: async ({ name }) =>
        guarded(host, 'get_component_spec', `reading ${name}`, async () => {
          const component = host.registry.get(name);
          if (!component) {
            const { didYouMean } = await import('../diagnostics/suggest.js');
            throw OsirisError.of(
              'AGT040',
              `unknown component '${name}'`,
              {},
              {
                hint: didYouMean(name, host.registry.names()) ?? 'call list_components',
              },
            );
          }
          const { spec } = component;
          return {
            name: spec.name,
            modes: omlModesOf(spec),
            description: spec.description ?? '',
            config_schema: spec.configSchema,
            examples: spec.examples ?? [],
            hints: spec.llmHints ?? {},
          };
        }),
    }),

    validate_pipeline: tool({
      description:
        'Validate an OML document without compiling it: structure, components, config schemas, and every ' +
        'table/column its SQL uses against the discovered schema. Returns errors with line:col and fix hints.',
      inputSchema: z.object({ oml: z.string().min(1).describe('the whole OML YAML document') }),
      execute: async ({ oml }) =>
        guarded(host, 'validate_pipeline', 'validating the pipeline', async () => {
          receiveDraft(oml);
          const gate = await checkDraft(oml, gateOptions());
          if (gate.ok) return { ok: true, warnings: diagnosticsForModel(gate.diagnostics) };
          return failedAttempt(gate.diagnostics);
        }),
    }),

    propose_pipeline: tool({
      description:
        'Validate, bind-check and compile an OML document, then show it to the user for approval. On errors, ' +
        'fix exactly the errors listed and call again. On success, stop and summarise the pipeline.',
      inputSchema: z.object({ oml: z.string().min(1).describe('the whole OML YAML document') }),
      execute: async ({ oml }) =>
        guarded(host, 'propose_pipeline', 'validating and compiling', async () => {
          receiveDraft(oml);
          const result = await proposeDraft(oml, gateOptions());
          if (!result.ok) return failedAttempt(result.diagnostics);
          host.moveTo('COMPILE', 'valid');
          const warnings = diagnosticsForModel(result.warnings);
          host.proposed(result.proposal, warnings);
          return {
            ok: true,
            pipeline: result.proposal.pipelineName,
            manifest_hash: result.proposal.manifestHash,
            warnings,
            next: 'The user now sees the pipeline and decides. Summarise it briefly; do not claim it ran.',
          };
        }),
    }),

    run_pipeline: tool({
      description:
        'Run the pipeline the user approved, by its manifest hash. Refused unless the user approved exactly ' +
        'this manifest (they type `approve`).',
      inputSchema: z.object({ manifest_hash: z.string().min(8) }),
      execute: async ({ manifest_hash }) =>
        guarded(host, 'run_pipeline', 'running the approved pipeline', async () =>
          host.runApproved(manifest_hash),
        ),
    }),
  };
}
