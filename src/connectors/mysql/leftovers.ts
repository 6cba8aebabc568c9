/**
 * Dropping the staging tables a killed run left behind (see runtime/abandoned-runs.ts). Only tables the run
 * recorded before creating them reach here, and only names with the writer's `__osiris_stage_`/`__osiris_old_`
 * tag, or a partitioned copy's `osiris_part_<tag>_<n>`, are accepted, so a corrupted claim can never drop a
 * user table.
 */
import type { ResolvedConnection } from '../../runtime/driver.js';
import { MysqlClient, mysqlSettings, quoteMysqlIdent } from './client.js';

const WRITER_TABLE = /__osiris_(stage|old)_[0-9a-f]+$|^osiris_part_[0-9a-f]{12}_(\d+|all)$/;

export function isWriterSideTable(table: string): boolean {
  return WRITER_TABLE.test(table);
}

/**
 * Drops those of `tables` (in `database`) that exist and returns them (with `dryRun`, only finds them).
 * Throws when the server cannot be reached.
 */
export async function dropWriterTables(
  connection: ResolvedConnection,
  database: string,
  tables: readonly string[],
  options: { dryRun?: boolean } = {},
): Promise<string[]> {
  const wanted = tables.filter(isWriterSideTable);
  if (wanted.length === 0) return [];
  const settings = { ...mysqlSettings(connection), connectTimeoutMs: 5_000 };
  const client = await MysqlClient.connect(settings);
  try {
    const found = await client.rows(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (${wanted.map(() => '?').join(', ')})`,
      [database, ...wanted],
    );
    const existing = found.map((r) => String(r.t)).sort();
    if (options.dryRun) return existing;
    for (const table of existing)
      await client.query(`DROP TABLE IF EXISTS ${quoteMysqlIdent(database)}.${quoteMysqlIdent(table)}`);
    return existing;
  } finally {
    await client.end().catch(() => undefined);
  }
}
