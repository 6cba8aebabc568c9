/**
 * Load verification for mysql.writer (docs/adr/0025): the rows received (load-verify.ts) against the rows
 * of this load, before COMMIT. Which rows are this load's: a staging table holds only them (a new table,
 * replace — checked inside the staging load's transaction, before the swap); for upsert, the target's rows
 * whose key is in the staging table, after the merge; for append (rows go straight into the target, and
 * MySQL has no way to tell them apart) the table's figures read at the start of the load's transaction are
 * subtracted from those at its end (InnoDB's snapshot keeps other sessions' commits out of both) — two
 * scans of the target, whose cost grows with the table (`verify: false` turns it off).
 */
import type { StreamContext } from '../../../runtime/driver.js';
import {
  type Check,
  checkForDuckType,
  compareProfiles,
  deltaProfile,
  fromRow,
  type Profile,
  type ReceivedSide,
  settleVerification,
  type VerifyColumn,
} from '../../load-verify.js';
import { type MysqlClient, quoteMysqlIdent } from '../client.js';
import { mysqlTypeForDuckdb } from '../types.js';
import type { LoadColumn } from './load.js';

/** The check a target column of this DATA_TYPE can back for an input of `duckType`. */
function mysqlCheck(duckType: string, dataType: string): Check {
  const check = checkForDuckType(duckType);
  switch (check) {
    case 'sum':
      return /^(tinyint|smallint|mediumint|int|integer|bigint|decimal)$/.test(dataType) ? 'sum' : 'nulls';
    case 'fsum':
      return /^(float|double|decimal)$/.test(dataType) ? 'fsum' : 'nulls';
    case 'date':
      return dataType === 'date' ? 'date' : 'nulls';
    case 'ts':
      return dataType === 'datetime' || dataType === 'timestamp' ? 'ts' : 'nulls';
    default:
      return 'nulls';
  }
}

function aggregates(c: VerifyColumn): string[] {
  const x = quoteMysqlIdent(c.target);
  const epoch = (v: string) => `CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${v}) AS CHAR)`;
  const [a, b] =
    c.check === 'sum'
      ? [`CAST(SUM(${x}) AS CHAR)`, 'NULL']
      : c.check === 'fsum'
        ? [`CAST(SUM(${x}) AS DOUBLE)`, 'NULL']
        : c.check === 'date'
          ? [`CAST(MIN(${x}) AS CHAR)`, `CAST(MAX(${x}) AS CHAR)`]
          : c.check === 'ts'
            ? [epoch(`MIN(${x})`), epoch(`MAX(${x})`)]
            : ['NULL', 'NULL'];
  return [`COUNT(*) - COUNT(${x})`, a, b];
}

/** The aggregates of `checks` over the rows `from` names (a FROM clause). */
export async function tableProfile(
  client: MysqlClient,
  from: string,
  checks: readonly VerifyColumn[],
): Promise<Profile> {
  const parts = ['COUNT(*)', ...checks.flatMap(aggregates)].map((p, i) => `${p} AS c${i}`);
  const [row] = await client.rows(`SELECT ${parts.join(', ')} FROM ${from}`);
  const values = parts.map((_, i) => {
    const v = row?.[`c${i}`];
    return v === null || v === undefined ? null : String(v);
  });
  return fromRow(values, checks.length);
}

export interface MysqlVerify {
  /**
   * Called right after START TRANSACTION of a load into `quotedTable`: returns the check to run before its
   * COMMIT, or undefined when this load is verified elsewhere (an upsert's staging load: after the merge).
   */
  begin(client: MysqlClient, quotedTable: string): Promise<(() => Promise<void>) | undefined>;
  /**
   * An upsert's merge (or a staged append's insert) is in, before its COMMIT: checks the target's rows with
   * the staged keys (`keys`: the upsert's unless given).
   */
  merged(client: MysqlClient, quotedStage: string, keys?: readonly string[]): Promise<void>;
}

export interface MysqlVerifyTarget {
  connection: string;
  shown: string;
  table: string;
  writeMode: 'append' | 'replace' | 'upsert';
  /** The target is created (from a staging table) by this load. */
  created: boolean;
  columns: readonly LoadColumn[];
  /** Input columns with their DuckDB types, in the order of `columns`. */
  inputColumns: readonly { name: string; type: string }[];
  targetKeys: readonly string[];
  received: ReceivedSide;
}

export function mysqlVerifier(ctx: StreamContext, v: MysqlVerifyTarget): MysqlVerify {
  const planned: VerifyColumn[] = v.columns.map((c, i) => {
    const duckType = v.inputColumns[i]?.type ?? 'VARCHAR';
    // A new table's column types are the ones mysql.writer creates.
    const dataType = (c.targetDataType ?? mysqlTypeForDuckdb(duckType) ?? 'text')
      .toLowerCase()
      .replace(/[^a-z].*$/, '');
    return { input: c.input, target: c.target, check: mysqlCheck(duckType, dataType) };
  });
  const where = { connection: v.connection, table: v.shown };
  const settle = async (client: MysqlClient, from: string, shown: string, before?: Profile) => {
    const started = Date.now();
    const { checks, profile: received } = await v.received.profile(planned);
    let loaded = await tableProfile(client, from, checks);
    if (before) loaded = deltaProfile(checks, before, loaded, received);
    settleVerification(ctx, where, compareProfiles(checks, received, loaded, shown), started);
  };
  const target = quoteMysqlIdent(v.table);
  return {
    async begin(client, quotedTable) {
      if (quotedTable !== target) {
        // An upsert's stage (or a staged append's) is checked once its rows are in the target.
        if (v.writeMode !== 'replace' && !v.created) return undefined;
        return () => settle(client, quotedTable, 'the staging table (it holds only this load)');
      }
      const before = await tableProfile(client, quotedTable, planned);
      return () => settle(client, quotedTable, 'the table after the load minus before it', before);
    },
    async merged(client, quotedStage, staged = v.targetKeys) {
      const keys = staged.map(quoteMysqlIdent).join(', ');
      await settle(
        client,
        `${target} WHERE (${keys}) IN (SELECT ${keys} FROM ${quotedStage})`,
        'the rows whose key is in this load',
      );
    },
  };
}
