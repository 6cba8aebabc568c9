/**
 * MIN and MAX of the partition key at the source, as the server prints them (exact text: BIGINT digits,
 * dates in ISO form, UTC timestamps), for `partition.count`.
 */
import { MysqlClient, mysqlSettings, quoteMysqlIdent } from '../../connectors/mysql/client.js';
import { connectPg, pgQualified, pgTarget, RAW_TEXT_TYPES } from '../../connectors/postgres/client.js';
import type { JsonObject } from '../../yaml/json.js';
import { type ResolvedConnection, StepError } from '../driver.js';
import { type Family, quoteColumn } from './ranges.js';

export interface KeyBounds {
  min: string | null;
  max: string | null;
}

function sourceSql(family: Family, config: JsonObject, schema: string | undefined, column: string): string {
  const col = quoteColumn(family, column);
  const select = `SELECT MIN(${col}) AS lo, MAX(${col}) AS hi FROM `;
  if (typeof config.query === 'string') return `${select}(\n${config.query}\n) AS osiris_bounds`;
  const table = String(config.table);
  const from =
    family === 'mysql'
      ? `${schema ? `${quoteMysqlIdent(schema)}.` : ''}${quoteMysqlIdent(table)}`
      : pgQualified(schema, table);
  return `${select}${from}${typeof config.where === 'string' ? ` WHERE (${config.where}\n)` : ''}`;
}

const text = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);

/** Reads MIN/MAX of `column` over the step's table (with its `where`) or query. */
export async function keyBounds(
  stepId: string,
  family: Family,
  config: JsonObject,
  connection: ResolvedConnection | undefined,
  column: string,
): Promise<KeyBounds> {
  try {
    if (family === 'mysql') {
      const settings = mysqlSettings(connection, { config, stepId });
      const schema = typeof config.schema === 'string' ? config.schema : undefined;
      const client = await MysqlClient.connect(settings);
      try {
        const [row] = await client.rows(sourceSql(family, config, schema, column));
        return { min: text(row?.lo), max: text(row?.hi) };
      } finally {
        await client.end().catch(() => client.destroy());
      }
    }
    const target = pgTarget(connection, config, 'postgres');
    const schema = typeof config.schema === 'string' ? config.schema : target.schema;
    const session = await connectPg(target, { applicationName: `${stepId} partition bounds` });
    try {
      await session.client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'");
      const r = await session.client.query<{ lo: string | null; hi: string | null }>({
        text: sourceSql(family, config, schema, column),
        types: RAW_TEXT_TYPES,
      });
      return { min: r.rows[0]?.lo ?? null, max: r.rows[0]?.hi ?? null };
    } finally {
      await session.close();
    }
  } catch (error) {
    if (error instanceof StepError) throw error;
    throw new StepError(
      'partition.bounds_failed',
      `step '${stepId}': could not read MIN/MAX of partition column '${column}': ${error instanceof Error ? error.message : String(error)}`,
      "check that the column exists in the step's table or query, or give explicit 'ranges'",
      { details: { key: 'partition', column } },
    );
  }
}
