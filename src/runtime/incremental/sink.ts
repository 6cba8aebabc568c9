/**
 * Where a writer step keeps the cursor state of the incremental reads upstream of it: its own database for
 * postgres.writer, mysql.writer and supabase.writer over the Postgres protocol; the project's local store for
 * every other writer (files, Supabase over REST). Also opens that store for the run and for `osiris state`.
 */
import { MysqlClient, mysqlSettings } from '../../connectors/mysql/client.js';
import { connectionFields, connectPg, hasPgFields, pgTarget } from '../../connectors/postgres/client.js';
import type { JsonObject } from '../../yaml/json.js';
import type { ResolvedConnection } from '../driver.js';
import {
  deleteMysqlStates,
  deletePgStates,
  ensureMysqlStateTable,
  readMysqlStates,
  readPgStates,
  STATE_TABLE,
} from './target-state.js';
import type { StateKey, StateRecord, StateStore } from './types.js';

const refOf = (c: ResolvedConnection | undefined, family: string) =>
  c ? `@${c.family}.${c.alias}` : `@${family}`;

/** The store of a writer step from its component, connection and config. */
export function sinkStore(
  component: string,
  connection: ResolvedConnection | undefined,
  config: JsonObject,
): StateStore {
  const family = component.split('.')[0] ?? component;
  if (
    component === 'postgres.writer' ||
    (component === 'supabase.writer' && hasPgFields(connectionFields(connection, config)))
  ) {
    const schema =
      (typeof config.schema === 'string' ? config.schema : undefined) ??
      pgTarget(connection, config, family).schema ??
      'public';
    return { kind: 'postgres', connection: refOf(connection, family), family, schema, table: STATE_TABLE };
  }
  if (component === 'mysql.writer')
    return { kind: 'mysql', connection: refOf(connection, family), table: STATE_TABLE };
  return { kind: 'file' };
}

/** How messages and events name a store. */
export function describeStore(store: StateStore): string {
  if (store.kind === 'postgres') return `${store.connection} ${store.schema}.${store.table}`;
  if (store.kind === 'mysql') return `${store.connection} ${store.table}`;
  return 'the local state store (.osiris/state)';
}

/** An open database store: read or delete states, then close. */
export interface OpenStore {
  read(key: Partial<StateKey>): Promise<StateRecord[]>;
  remove(key: Partial<StateKey>): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens a database store with the writer's connection. `prepare` (the run, before reading) also creates a
 * missing MySQL state table now, since MySQL DDL cannot run inside the load's transaction.
 */
export async function openDbStore(
  store: Exclude<StateStore, { kind: 'file' }>,
  connection: ResolvedConnection | undefined,
  config: JsonObject,
  options: { prepare?: boolean } = {},
): Promise<OpenStore> {
  if (store.kind === 'postgres') {
    const session = await connectPg(pgTarget(connection, config, store.family), { applicationName: 'state' });
    return {
      read: (key) => readPgStates(session.client, store.schema, key),
      remove: (key) => deletePgStates(session.client, store.schema, key),
      close: () => session.close(),
    };
  }
  const client = await MysqlClient.connect(mysqlSettings(connection, { config, requireDatabase: true }));
  if (options.prepare) await ensureMysqlStateTable(client);
  return {
    read: (key) => readMysqlStates(client, key),
    remove: (key) => deleteMysqlStates(client, key),
    close: () => client.end(),
  };
}
