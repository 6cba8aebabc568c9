/**
 * The tools the model drives the agent with. Arguments are schema-checked (zod) before anything runs; every
 * result passes through the session redactor; none of them can write data or run a pipeline that the user
 * has not approved. Each tool reports its activity so the terminal can show a spinner and the state machine
 * can move.
 */
import { type ToolSet, tool } from 'ai';
import { z } from 'zod';
import type { Redactor } from '../observability/redact.js';
import { componentSpec, componentsList } from '../tools/components.js';
import { connectionsList } from '../tools/connections.js';
import type { ToolContext } from '../tools/context.js';
import { toolFailure } from '../tools/diagnostics.js';
import { discoverProgressive, MAX_QUERY_ROWS, MAX_TOOL_SAMPLES, query } from '../tools/discovery.js';
import { connectionArg } from '../tools/shapes.js';
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

export { AUTO_DESCRIBE_TABLES, MAX_QUERY_ROWS, MAX_TOOL_SAMPLES } from '../tools/discovery.js';

/**
 * What the agent and its tools share: the tool context (project, connections, redactor — the same one the
 * MCP server uses, src/tools) plus the session.
 */
export interface AgentContext extends ToolContext {
  store: SessionStore;
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
  const failure = toolFailure(error, redactor);
  return { ok: false, error: failure.message, ...(failure.hint ? { hint: failure.hint } : {}) };
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
          const result = await connectionsList.execute(host, {});
          return result.connections.map((c) => ({
            reference: c.reference,
            family: c.family,
            default: c.default,
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
          const result = await discoverProgressive(host, { connection, tables, samples });
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
      inputSchema: z.object(query.input),
      execute: async ({ connection, sql, limit }) =>
        guarded(host, 'run_query', `querying ${connection}`, async () => {
          host.moveTo('DISCOVERY', `query ${connection}`);
          const result = await query.execute(host, { connection, sql, limit });
          return { columns: result.columns, rows: result.rows, truncated: result.truncated };
        }),
    }),

    list_components: tool({
      description: 'List the pipeline components this Osiris can run, with their modes.',
      inputSchema: z.object({}),
      execute: async () =>
        guarded(host, 'list_components', 'listing components', async () =>
          (await componentsList.execute(host, {})).components.map((c) => ({
            name: c.name,
            modes: c.modes,
            required_fields: c.required_fields,
            description: c.description,
          })),
        ),
    }),

    get_component_spec: tool({
      description: "Read a component's config schema (keys, types, required, defaults), examples and hints.",
      inputSchema: z.object(componentSpec.input),
      execute: async ({ name }) =>
        guarded(host, 'get_component_spec', `reading ${name}`, async () =>
          componentSpec.execute(host, { name }),
        ),
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
