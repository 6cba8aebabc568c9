/**
 * Functions the SQL guard refuses, by engine: the side-effecting families that a read-only transaction does
 * not stop (PostgreSQL lets large-object writes, advisory locks, notifications, settings and signals to other
 * sessions through `BEGIN READ ONLY`), functions that read server files, wait or burn CPU, and functions that
 * run SQL given as a string (the guard cannot see inside it). Names are compared case-insensitively on the
 * last part of a qualified name, so `pg_catalog.lo_put` and `"LO_PUT"` are refused like `lo_put`.
 *
 * A deny-list and not an allow-list: extractor queries legitimately call user-defined and extension
 * functions. What a user-defined function does is the database role's business (docs/reference/security.md).
 */

export interface DeniedFamily {
  /** Exact names (lower case). */
  names?: readonly string[];
  /** Name prefixes (lower case). */
  prefixes?: readonly string[];
  /** Why the family is refused, completing "… is refused: it …". */
  reason: string;
}

export const POSTGRES_DENIED: readonly DeniedFamily[] = [
  {
    prefixes: ['lo_'],
    names: ['loread', 'lowrite'],
    reason:
      'creates, changes, deletes or exports large objects or reads server files (PostgreSQL allows this even in a read-only transaction)',
  },
  {
    names: ['pg_terminate_backend', 'pg_cancel_backend', 'pg_log_backend_memory_contexts'],
    reason: 'acts on other database sessions',
  },
  {
    prefixes: ['pg_read_', 'pg_ls_', 'pg_file_'],
    names: ['pg_stat_file'],
    reason: 'reads, lists or writes files on the database server',
  },
  {
    prefixes: ['pg_advisory', 'pg_try_advisory'],
    reason: 'takes or releases advisory locks, which outlive the query',
  },
  { names: ['pg_notify'], reason: 'sends a notification to other sessions' },
  { names: ['set_config'], reason: 'changes a server setting' },
  { prefixes: ['pg_stat_reset', 'pg_stat_statements_reset'], reason: 'resets server statistics' },
  { prefixes: ['dblink'], reason: 'connects to a database and runs SQL there' },
  {
    names: ['query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'ts_stat'],
    prefixes: ['cursor_to_xml'],
    reason: 'runs SQL given as a string, which the guard cannot check',
  },
  { names: ['nextval', 'setval'], reason: 'changes a sequence' },
  { prefixes: ['pg_sleep'], reason: 'makes the server wait' },
  {
    names: [
      'pg_reload_conf',
      'pg_rotate_logfile',
      'pg_promote',
      'pg_start_backup',
      'pg_stop_backup',
      'pg_create_restore_point',
      'pg_import_system_collations',
    ],
    prefixes: [
      'pg_switch_',
      'pg_wal_replay_',
      'pg_backup_',
      'pg_create_',
      'pg_drop_',
      'pg_copy_',
      'pg_replication_',
      'pg_logical_',
      'pg_sync_replication',
    ],
    reason: 'administers the server (configuration, WAL, backups or replication)',
  },
];

export const MYSQL_DENIED: readonly DeniedFamily[] = [
  { names: ['load_file'], reason: 'reads a file on the database server' },
  { names: ['sleep', 'benchmark'], reason: 'makes the server wait or burn CPU' },
  {
    names: ['get_lock', 'release_lock', 'release_all_locks'],
    reason: 'takes or releases named locks, which outlive the query',
  },
  {
    names: [
      'master_pos_wait',
      'source_pos_wait',
      'master_gtid_wait',
      'wait_for_executed_gtid_set',
      'wait_until_sql_thread_after_gtids',
    ],
    reason: 'waits for replication',
  },
  { names: ['nextval', 'setval'], reason: 'changes a sequence' },
  { names: ['sys_exec', 'sys_eval', 'sys_set'], reason: 'runs operating-system commands' },
];

/** Why `name` is refused under `families`, or undefined when it may be called. */
export function deniedReason(name: string, families: readonly DeniedFamily[]): string | undefined {
  const lower = name.toLowerCase();
  for (const family of families) {
    if (family.names?.includes(lower)) return family.reason;
    if (family.prefixes?.some((p) => lower.startsWith(p))) return family.reason;
  }
  return undefined;
}

/** Every exact name of `families`, for the MySQL text backstop. */
export function deniedNames(families: readonly DeniedFamily[]): string[] {
  return families.flatMap((f) => f.names ?? []);
}
