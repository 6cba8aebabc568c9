/** mysql.writer's step config: the target table, write mode, keys and batch size. */
import { StepError, type StreamContext } from '../../../runtime/driver.js';
import { StepConfig } from '../../../runtime/step-config.js';
import { verifyEnabled } from '../../load-verify.js';
import { evolutionMode, type SchemaEvolutionMode } from '../../schema-evolution.js';

export type WriteMode = 'append' | 'replace' | 'upsert';
export type LoadMethod = 'load_data' | 'insert';

export interface WritePlan {
  table: string;
  mode: WriteMode;
  primaryKey: string[];
  createIfMissing: boolean;
  batchSize: number;
  allowEmpty: boolean;
  /** Forced load method (tests and benchmarks, see `forceLoadMethod`). */
  method: LoadMethod | undefined;
  /** docs/adr/0025: how the target follows the input's columns, and whether the load is verified. */
  evolution: SchemaEvolutionMode;
  verify: boolean;
}

let forcedLoadMethod: LoadMethod | undefined;

/**
 * Forces the load method for the writes that follow (tests and benchmarks compare both); `undefined` restores
 * the automatic choice (LOAD DATA when the server allows it).
 */
export function forceLoadMethod(method: LoadMethod | undefined): void {
  forcedLoadMethod = method;
}

export function planWrite(ctx: StreamContext): WritePlan {
  const cfg = StepConfig.of(ctx);
  const table = cfg.requiredString('table');
  if (table.length > 64) throw cfg.invalid('table', 'a MySQL table name of at most 64 characters');
  const mode = cfg.oneOf<WriteMode>('write_mode', ['append', 'replace', 'upsert'], 'append');
  const primaryKey = cfg.stringList('primary_key') ?? [];
  if (mode === 'upsert' && primaryKey.length === 0)
    throw new StepError(
      'config.invalid',
      `step '${ctx.stepId}': write_mode 'upsert' needs 'primary_key'`,
      'set primary_key: to the key column, or a list of columns for a composite key',
      { details: { key: 'primary_key' } },
    );
  return {
    table,
    mode,
    primaryKey,
    createIfMissing: cfg.boolean('create_if_missing', true),
    batchSize: cfg.integer('batch_size', 1, 10_000),
    allowEmpty: cfg.boolean('allow_empty', false),
    method: forcedLoadMethod,
    evolution: evolutionMode(ctx),
    verify: verifyEnabled(ctx),
  };
}
