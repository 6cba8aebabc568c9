/** Names and CREATE TABLE of the tables mysql.writer makes: a new target, staging and swapped-out tables. */
import { StepError } from '../../../runtime/driver.js';
import { quoteMysqlIdent } from '../client.js';
import { type ColumnStats, mysqlTypeForDuckdb } from '../types.js';

export const STAGE_TAG = '__osiris_stage_';
export const OLD_TAG = '__osiris_old_';

/** `<table><tag><hex>` cut to MySQL's 64 characters. */
export function sideName(table: string, tag: string, id: string): string {
  const suffix = `${tag}${id}`;
  return `${table.slice(0, 64 - suffix.length)}${suffix}`;
}

/** Column definitions for the input columns, typed from their DuckDB types and the input's lengths. */
export function columnDefs(
  stepId: string,
  columns: readonly { name: string; type: string }[],
  keyColumns: readonly string[],
  stats: Map<string, ColumnStats>,
): string[] {
  return columns.map((col) => {
    const isKey = keyColumns.includes(col.name);
    const type = mysqlTypeForDuckdb(col.type, stats.get(col.name), isKey);
    if (type === undefined)
      throw new StepError(
        'write.type_unsupported',
        `step '${stepId}': no MySQL type for input column '${col.name}' (${col.type})`,
        'CAST the column to a plain type upstream',
        { details: { column: col.name, type: col.type } },
      );
    return `${quoteMysqlIdent(col.name)} ${type} ${isKey ? 'NOT NULL' : 'NULL'}`;
  });
}

export function createTableSql(name: string, defs: readonly string[], keyColumns: readonly string[]): string {
  const all = keyColumns.length
    ? [...defs, `PRIMARY KEY (${keyColumns.map(quoteMysqlIdent).join(', ')})`]
    : defs;
  return `CREATE TABLE ${quoteMysqlIdent(name)} (${all.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}
