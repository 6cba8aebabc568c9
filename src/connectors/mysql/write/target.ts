/** The target table as the server describes it: kind, engine, columns, unique keys, what a swap would break. */
import type { MysqlClient } from '../client.js';

export interface TargetColumn {
  name: string;
  dataType: string;
  columnType: string;
}

export interface TargetInfo {
  exists: boolean;
  kind: 'table' | 'view' | undefined;
  engine: string | undefined;
  columns: TargetColumn[];
}

export async function inspectTarget(client: MysqlClient, table: string): Promise<TargetInfo> {
  const [t] = await client.rows(
    `SELECT TABLE_TYPE AS k, ENGINE AS e FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [table],
  );
  if (!t) return { exists: false, kind: undefined, engine: undefined, columns: [] };
  const cols = await client.rows(
    `SELECT COLUMN_NAME AS n, DATA_TYPE AS dt, COLUMN_TYPE AS ct FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return {
    exists: true,
    kind: /VIEW/i.test(String(t.k)) ? 'view' : 'table',
    engine: t.e === null || t.e === undefined ? undefined : String(t.e),
    columns: cols.map((c) => ({ name: String(c.n), dataType: String(c.dt), columnType: String(c.ct) })),
  };
}

/** Unique indexes of the target: name → columns in order. */
export async function uniqueKeys(client: MysqlClient, table: string): Promise<Map<string, string[]>> {
  const rows = await client.rows(
    `SELECT INDEX_NAME AS i, COLUMN_NAME AS c FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    [table],
  );
  const keys = new Map<string, string[]>();
  for (const r of rows) {
    const name = String(r.i);
    keys.set(name, [...(keys.get(name) ?? []), String(r.c)]);
  }
  return keys;
}

/** What a RENAME swap would break: foreign keys to or from the table, triggers on it. */
export async function swapBlockers(client: MysqlClient, table: string): Promise<string[]> {
  const found: string[] = [];
  const fks = await client.rows(
    `SELECT CONSTRAINT_SCHEMA AS s, TABLE_NAME AS t, CONSTRAINT_NAME AS c, REFERENCED_TABLE_NAME AS r
       FROM information_schema.REFERENTIAL_CONSTRAINTS
      WHERE (UNIQUE_CONSTRAINT_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME = ?)
         OR (CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?)`,
    [table, table],
  );
  for (const fk of fks) found.push(`foreign key ${String(fk.c)} (${String(fk.t)} → ${String(fk.r)})`);
  const triggers = await client.rows(
    `SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS
      WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ?`,
    [table],
  );
  for (const t of triggers) found.push(`trigger ${String(t.n)}`);
  return found;
}
