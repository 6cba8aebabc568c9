/**
 * Side tables of one write — staging tables loaded before they replace or merge into the target, and the
 * swapped-out old table — claimed in the run folder before they exist (a crash cannot leave them unowned)
 * and dropped if the write fails.
 */
import { randomBytes } from 'node:crypto';
import { StepError, type StreamContext } from '../../../runtime/driver.js';
import { type MysqlClient, quoteMysqlIdent } from '../client.js';
import { OLD_TAG, STAGE_TAG, sideName } from './ddl.js';

export class SideTables {
  private readonly id = randomBytes(4).toString('hex');
  /** Tables this step created and must drop if it fails. */
  readonly pending: string[] = [];

  constructor(
    private readonly ctx: StreamContext,
    private readonly owner: { connection: string | null; database: string; table: string },
  ) {}

  stageName(): string {
    return sideName(this.owner.table, STAGE_TAG, this.id);
  }

  oldName(): string {
    return sideName(this.owner.table, OLD_TAG, this.id);
  }

  claim(table: string): void {
    const { connection, database } = this.owner;
    this.ctx.claim({ kind: 'mysql_table', connection, database, table });
  }

  /** Claims `table`, then runs its CREATE statement; it is dropped if the write fails. */
  async create(client: MysqlClient, table: string, sql: string): Promise<void> {
    this.pending.push(table);
    this.claim(table);
    await client.query(sql);
  }

  /** `table` became (or went into) the target: no longer dropped on failure. */
  keep(table: string): void {
    this.pending.splice(this.pending.indexOf(table), 1);
  }
}

/** What a staged load needs: where it goes, how to load, how many rows to expect. */
export interface StageLoad {
  ctx: StreamContext;
  client: MysqlClient;
  tables: SideTables;
  /** For messages: `db.table`, connection ref, table name. */
  shown: string;
  ref: string;
  table: string;
  /** Input rows when known up front (a table); a stream's count is what was sent. */
  rowsIn: number | undefined;
  loadInto(quotedTable: string): Promise<number>;
  /** Schema evolution's changes to a staging table, before it is loaded (evolve.ts). */
  alterStage?(quotedStage: string): Promise<void>;
}

/** Creates the staging table `stage`, loads it, and checks it holds every row sent. */
export async function stageLoaded(s: StageLoad, stage: string, createSql: string): Promise<number> {
  const quotedStage = quoteMysqlIdent(stage);
  await s.tables.create(s.client, stage, createSql);
  await s.alterStage?.(quotedStage);
  const sent = await s.loadInto(quotedStage);
  const [r] = await s.client.rows(`SELECT COUNT(*) AS n FROM ${quotedStage}`);
  const n = Number(r?.n ?? -1);
  const expected = s.rowsIn ?? sent;
  if (n !== expected || sent !== expected)
    throw new StepError(
      'write.failed',
      `step '${s.ctx.stepId}': staging table for '${s.shown}' holds ${n} rows after sending ${sent} of ${expected}; the target is unchanged`,
      undefined,
      { details: { connection: s.ref, table: s.table, rows_expected: expected, rows_found: n } },
    );
  return sent;
}

/** Drops a side table that is no longer needed; a failure leaves it with a warning. */
export async function dropSideTable(
  ctx: StreamContext,
  client: MysqlClient,
  table: string,
  what: (detail: string) => string,
): Promise<void> {
  try {
    await client.query(`DROP TABLE ${quoteMysqlIdent(table)}`);
  } catch (error) {
    ctx.emit('cleanup_failed', {
      level: 'warning',
      table,
      message: what(error instanceof Error ? error.message : String(error)),
    });
  }
}
