/**
 * The state table in a database target: `osiris_state`, in the writer's schema (Postgres, Supabase) or
 * database (MySQL/MariaDB). One row per (pipeline, extractor step, source connection, writer step). The
 * writer upserts its row inside the transaction that loads the data, so the cursor and the rows commit
 * together or not at all.
 */
import type pg from 'pg';
import type { MysqlClient } from '../../connectors/mysql/client.js';
import { quoteMysqlIdent } from '../../connectors/mysql/client.js';
import { pgIdent, pgQualified } from '../../connectors/postgres/client.js';
import type { CursorKind, PendingState, StateKey, StateRecord } from './types.js';

export const STATE_TABLE = 'osiris_state';

const KEY = ['pipeline_id', 'step_id', 'source', 'target_step'] as const;
const COLUMNS = [...KEY, 'cursor_column', 'cursor_value', 'cursor_kind', 'run_id', 'updated_at'] as const;

function recordOf(row: Record<string, unknown>): StateRecord {
  const s = (k: string) => {
    const v = row[k];
    return v instanceof Date ? v.toISOString() : String(v ?? '');
  };
  return {
    pipeline_id: s('pipeline_id'),
    step_id: s('step_id'),
    source: s('source'),
    target_step: s('target_step'),
    cursor_column: s('cursor_column'),
    cursor_value: s('cursor_value'),
    cursor_kind: s('cursor_kind') as CursorKind,
    run_id: s('run_id'),
    updated_at: s('updated_at'),
  };
}

const values = (r: StateRecord) => COLUMNS.map((c) => r[c]);

// --- Postgres ---------------------------------------------------------------------------------------------

export function pgStateTableDdl(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${pgQualified(schema, STATE_TABLE)} (
  pipeline_id text NOT NULL, step_id text NOT NULL, source text NOT NULL, target_step text NOT NULL,
  cursor_column text NOT NULL, cursor_value text NOT NULL, cursor_kind text NOT NULL,
  run_id text NOT NULL, updated_at timestamptz NOT NULL,
  PRIMARY KEY (pipeline_id, step_id, source, target_step))`;
}

async function pgTableExists(client: pg.Client, schema: string): Promise<boolean> {
  const r = await client.query('SELECT to_regclass($1) AS t', [pgQualified(schema, STATE_TABLE)]);
  return r.rows[0]?.t !== null && r.rows[0]?.t !== undefined;
}

/** States in the target matching `key` (any field left out matches all). */
export async function readPgStates(
  client: pg.Client,
  schema: string,
  key: Partial<StateKey>,
): Promise<StateRecord[]> {
  if (!(await pgTableExists(client, schema))) return [];
  const fields = KEY.filter((k) => key[k] !== undefined);
  const where = fields.map((k, i) => `${pgIdent(k)} = $${i + 1}`).join(' AND ');
  const r = await client.query(
    `SELECT ${COLUMNS.join(', ')} FROM ${pgQualified(schema, STATE_TABLE)}${where ? ` WHERE ${where}` : ''} ORDER BY pipeline_id, step_id, target_step`,
    fields.map((k) => key[k]),
  );
  return r.rows.map(recordOf);
}

/** A state whose stored value is no longer the one the run read: another run committed it meanwhile. */
export interface StateConflict {
  record: PendingState;
  found: string | undefined;
}

/**
 * The states whose row moved since the run read it, locking the rows (FOR UPDATE) until the load commits.
 * The writers already serialise on the target (write locks), so a second run of one pipeline sees the first
 * one's cursor here and stops instead of loading the same window again.
 */
export async function pgStateConflicts(
  client: pg.Client,
  schema: string,
  records: PendingState[],
): Promise<StateConflict[]> {
  if (!(await pgTableExists(client, schema)))
    return records.filter((r) => r.expected !== undefined).map((record) => ({ record, found: undefined }));
  const out: StateConflict[] = [];
  for (const r of records) {
    const found = await client.query(
      `SELECT cursor_value FROM ${pgQualified(schema, STATE_TABLE)} WHERE ${KEY.map((k, i) => `${k} = $${i + 1}`).join(' AND ')} FOR UPDATE`,
      KEY.map((k) => r[k]),
    );
    const value = found.rows[0]?.cursor_value as string | undefined;
    if (value !== r.expected) out.push({ record: r, found: value });
  }
  return out;
}

/** Upserts the rows on the writer's connection, inside its open transaction (the DDL is transactional too). */
export async function upsertPgStates(
  client: pg.Client,
  schema: string,
  records: StateRecord[],
): Promise<void> {
  await client.query(pgStateTableDdl(schema));
  for (const r of records)
    await client.query(
      `INSERT INTO ${pgQualified(schema, STATE_TABLE)} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (${KEY.join(', ')}) DO UPDATE SET ${COLUMNS.filter(
         (c) => !(KEY as readonly string[]).includes(c),
       )
         .map((c) => `${c} = EXCLUDED.${c}`)
         .join(', ')}`,
      values(r),
    );
}

export async function deletePgStates(
  client: pg.Client,
  schema: string,
  key: Partial<StateKey>,
): Promise<number> {
  if (!(await pgTableExists(client, schema))) return 0;
  const fields = KEY.filter((k) => key[k] !== undefined);
  const r = await client.query(
    `DELETE FROM ${pgQualified(schema, STATE_TABLE)} WHERE ${fields.map((k, i) => `${pgIdent(k)} = $${i + 1}`).join(' AND ') || 'true'}`,
    fields.map((k) => key[k]),
  );
  return r.rowCount ?? 0;
}

// --- MySQL / MariaDB --------------------------------------------------------------------------------------

/** Keys of 190 characters: four of them in utf8mb4 stay under InnoDB's 3072-byte index limit. */
export const MYSQL_STATE_DDL = `CREATE TABLE IF NOT EXISTS ${quoteMysqlIdent(STATE_TABLE)} (
  pipeline_id VARCHAR(190) NOT NULL, step_id VARCHAR(190) NOT NULL, source VARCHAR(190) NOT NULL,
  target_step VARCHAR(190) NOT NULL, cursor_column VARCHAR(190) NOT NULL, cursor_value TEXT NOT NULL,
  cursor_kind VARCHAR(10) NOT NULL, run_id VARCHAR(190) NOT NULL, updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (pipeline_id, step_id, source, target_step)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/**
 * Creates the table when missing. MySQL DDL commits implicitly, so this runs before the writer's transaction
 * (when the run reads the state), never inside it.
 */
export async function ensureMysqlStateTable(client: MysqlClient): Promise<void> {
  await client.query(MYSQL_STATE_DDL);
}

export async function readMysqlStates(client: MysqlClient, key: Partial<StateKey>): Promise<StateRecord[]> {
  const exists = await client.rows(
    'SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
    [STATE_TABLE],
  );
  if (exists.length === 0) return [];
  const fields = KEY.filter((k) => key[k] !== undefined);
  const rows = await client.rows(
    `SELECT ${COLUMNS.join(', ')}, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') AS updated_text FROM ${quoteMysqlIdent(STATE_TABLE)}${fields.length ? ` WHERE ${fields.map((k) => `${k} = ?`).join(' AND ')}` : ''} ORDER BY pipeline_id, step_id, target_step`,
    fields.map((k) => key[k]),
  );
  return rows.map((row) => ({ ...recordOf(row), updated_at: String(row.updated_text) }));
}

/** pgStateConflicts for MySQL: the rows locked FOR UPDATE inside the writer's InnoDB transaction. */
export async function mysqlStateConflicts(
  client: MysqlClient,
  records: PendingState[],
): Promise<StateConflict[]> {
  const out: StateConflict[] = [];
  for (const r of records) {
    const found = await client.rows(
      `SELECT cursor_value FROM ${quoteMysqlIdent(STATE_TABLE)} WHERE ${KEY.map((k) => `${k} = ?`).join(' AND ')} FOR UPDATE`,
      KEY.map((k) => r[k]),
    );
    const value = found[0]?.cursor_value === undefined ? undefined : String(found[0].cursor_value);
    if (value !== r.expected) out.push({ record: r, found: value });
  }
  return out;
}

/** Upserts inside the writer's open InnoDB transaction (the table exists: see ensureMysqlStateTable). */
export async function upsertMysqlStates(client: MysqlClient, records: StateRecord[]): Promise<void> {
  for (const r of records)
    await client.run(
      `INSERT INTO ${quoteMysqlIdent(STATE_TABLE)} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
       ON DUPLICATE KEY UPDATE ${COLUMNS.filter((c) => !(KEY as readonly string[]).includes(c))
         .map((c) => `${c} = VALUES(${c})`)
         .join(', ')}`,
      values({ ...r, updated_at: r.updated_at.replace('T', ' ').replace('Z', '') }),
    );
}

export async function deleteMysqlStates(client: MysqlClient, key: Partial<StateKey>): Promise<number> {
  const exists = await client.rows(
    'SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
    [STATE_TABLE],
  );
  if (exists.length === 0) return 0;
  const fields = KEY.filter((k) => key[k] !== undefined);
  const ok = await client.run(
    `DELETE FROM ${quoteMysqlIdent(STATE_TABLE)}${fields.length ? ` WHERE ${fields.map((k) => `${k} = ?`).join(' AND ')}` : ''}`,
    fields.map((k) => key[k]),
  );
  return ok.affectedRows;
}
