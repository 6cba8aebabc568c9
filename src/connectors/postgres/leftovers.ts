/**
 * Dropping the staging tables of a partitioned copy whose run was killed (see runtime/abandoned-runs.ts).
 * Only tables the run recorded before creating them reach here, and only `osiris_part_<tag>_<n>` names are
 * accepted, so a corrupted claim can never drop a user table. (The writer's own stages are TEMP tables:
 * Postgres drops them with the dead session.)
 */
import type { ResolvedConnection } from '../../runtime/driver.js';
import { connectPg, pgQualified, pgTarget } from './client.js';

const PARTITION_STAGE = /^osiris_part_[0-9a-f]{12}_\d+$/;

/**
 * Drops those of `tables` (in `schema`) that exist and returns them (with `dryRun`, only finds them).
 * Throws when the server cannot be reached.
 */
export async function dropPartitionStages(
  connection: ResolvedConnection,
  schema: string,
  tables: readonly string[],
  options: { dryRun?: boolean } = {},
): Promise<string[]> {
  const wanted = tables.filter((t) => PARTITION_STAGE.test(t));
  if (wanted.length === 0) return [];
  const session = await connectPg(pgTarget(connection, {}, connection.family), {
    applicationName: 'osiris leftovers',
  });
  try {
    const found = await session.client.query<{ t: string }>(
      `SELECT c.relname::text AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind = 'r'`,
      [schema, wanted],
    );
    const existing = found.rows.map((r) => r.t).sort();
    if (!options.dryRun)
      for (const table of existing)
        await session.client.query(`DROP TABLE IF EXISTS ${pgQualified(schema, table)}`);
    return existing;
  } finally {
    await session.close();
  }
}
