/**
 * MySQL and MariaDB errors as transient or terminal (runtime/retry/classify.ts; docs/reference/retries.md):
 * server errnos and client (CR_) errnos, then mysql2's own codes for a connection it lost. Socket codes
 * (ECONNRESET, …) are the runtime's table.
 */
import { type ErrorTable, terminal, transient } from '../../runtime/retry/classify.js';

const ERRNOS: Readonly<Record<number, [boolean, string]>> = {
  1205: [true, 'lock_wait_timeout'],
  1213: [true, 'deadlock'],
  1040: [true, 'too_many_connections'],
  1203: [true, 'too_many_user_connections'],
  1053: [true, 'server_shutdown'],
  1152: [true, 'connection_aborted'],
  1158: [true, 'net_read_error'],
  1159: [true, 'net_read_interrupted'],
  1160: [true, 'net_write_error'],
  1161: [true, 'net_write_interrupted'],
  1180: [true, 'commit_failed'],
  1614: [true, 'xa_deadlock'],
  1637: [true, 'too_many_concurrent_transactions'],
  1927: [true, 'connection_killed'],
  3101: [true, 'rollback_during_commit'],
  4031: [true, 'idle_timeout'],
  2002: [true, 'connection_error'],
  2003: [true, 'connection_refused'],
  2006: [true, 'server_gone_away'],
  2013: [true, 'lost_connection'],
  2055: [true, 'lost_connection'],
  // A KILL QUERY or a statement time limit: the same statement would be stopped again.
  1317: [false, 'query_interrupted'],
  1969: [false, 'statement_timeout'],
  3024: [false, 'statement_timeout'],
  1064: [false, 'syntax_error'],
  1044: [false, 'database_access_denied'],
  1045: [false, 'auth_failed'],
  1142: [false, 'table_access_denied'],
  1143: [false, 'column_access_denied'],
  1227: [false, 'access_denied'],
  1370: [false, 'routine_access_denied'],
  1049: [false, 'database_missing'],
  1054: [false, 'unknown_column'],
  1146: [false, 'unknown_table'],
  1062: [false, 'duplicate_key'],
  1048: [false, 'not_null'],
  1406: [false, 'data_too_long'],
  1264: [false, 'out_of_range'],
  1292: [false, 'invalid_value'],
  1366: [false, 'invalid_value'],
  1451: [false, 'foreign_key'],
  1452: [false, 'foreign_key'],
  1290: [false, 'read_only'],
};

/** mysql2's codes for a connection it lost without a server errno. */
const LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT']);

export const mysqlErrorTable: ErrorTable = (error) => {
  const e = error as { errno?: unknown; code?: unknown; sqlState?: unknown; fatal?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  // Server errors carry a SQLSTATE; socket errors carry a negative errno from libuv, not a MySQL one.
  if (typeof e.errno === 'number' && (typeof e.sqlState === 'string' || e.errno >= 1000)) {
    const known = ERRNOS[e.errno];
    const shown = String(e.errno);
    if (known) return known[0] ? transient(known[1], shown) : terminal(known[1], shown);
    if (e.errno >= 2000 && e.errno < 3000) return undefined; // a client error: the socket table may know it
    return terminal('server_error', shown);
  }
  if (code && LOST_CODES.has(code)) return transient('connection_lost', code);
  return undefined;
};
