/**
 * Hand-built step contexts for driver tests: a real DuckDB data plane in a temp folder, recorded events,
 * metrics and progress, and `runStep` to run a driver the way the runner will (output table named by step id).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DataPlane, openDataPlane, quoteIdent, tableRowCount } from '../../src/runtime/dataplane.js';
import type {
  Driver,
  ResolvedConnection,
  StepClaim,
  StepContext,
  StepResult,
} from '../../src/runtime/driver.js';
import type { JsonObject, JsonValue } from '../../src/yaml/json.js';

export interface Recorded {
  events: { event: string; data: Record<string, JsonValue> | undefined }[];
  metrics: { name: string; value: number; unit: string | undefined }[];
  progress: number[];
  claims: StepClaim[];
}

export interface TestPlane {
  plane: DataPlane;
  /** Temp folder: scratch under `scratch/`, use it as the project root for files. */
  dir: string;
  recorded: Map<string, Recorded>;
  context(stepId: string, config: JsonObject, options?: ContextOptions): StepContext;
  /** Runs a driver with a context for `stepId`; its output table is the quoted step id. */
  runStep(driver: Driver, stepId: string, config: JsonObject, options?: ContextOptions): Promise<StepResult>;
  /** Rows of a query as JSON-safe values (bigints and decimals as strings). */
  rows(sql: string): Promise<Record<string, JsonValue>[]>;
  close(): void;
}

export interface ContextOptions {
  /** Upstream step ids; their tables are the quoted ids. */
  needs?: string[];
  connection?: ResolvedConnection;
  projectRoot?: string;
  signal?: AbortSignal;
  /** How long a writer waits for another holder of its target (ms). */
  lockTimeoutMs?: number;
}

/**
 * `fused`: `runStep` runs a driver that can define its output as a view (a fused chain's source or SQL
 * transform, docs/adr/0018) that way, and returns its result with the view's row count, as the chain's
 * writer would report it; other drivers run as usual (a writer then reads the view).
 */
export async function openTestPlane(
  prefix = 'osiris-step-',
  options: { fused?: boolean } = {},
): Promise<TestPlane> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const plane = await openDataPlane(join(dir, 'scratch'));
  const recorded = new Map<string, Recorded>();
  const context = (stepId: string, config: JsonObject, options: ContextOptions = {}): StepContext => {
    const rec: Recorded = { events: [], metrics: [], progress: [], claims: [] };
    recorded.set(stepId, rec);
    return {
      stepId,
      config,
      connection: options.connection,
      inputs: (options.needs ?? []).map((id) => ({ stepId: id, table: quoteIdent(id) })),
      duck: plane.connection,
      outputTable: quoteIdent(stepId),
      artifactsDir: join(dir, 'artifacts', stepId),
      scratchDir: join(dir, 'scratch'),
      projectRoot: options.projectRoot ?? dir,
      claim: (claim) => rec.claims.push(claim),
      emit: (event, data) => rec.events.push({ event, data }),
      metric: (name, value, unit) => rec.metrics.push({ name, value, unit }),
      progress: (rows) => rec.progress.push(rows),
      signal: options.signal ?? new AbortController().signal,
      ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
    };
  };
  return {
    plane,
    dir,
    recorded,
    context,
    async runStep(driver, stepId, config, contextOptions) {
      const ctx = context(stepId, config, contextOptions);
      if (!options.fused || !driver.defineView) return driver.run(ctx);
      const output = await driver.defineView(ctx);
      return output.result(await tableRowCount(plane.connection, ctx.outputTable));
    },
    async rows(sql) {
      const reader = await plane.connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, JsonValue>[];
    },
    close() {
      plane.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
