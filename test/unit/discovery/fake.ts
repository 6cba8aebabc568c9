// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/** A scriptable in-memory FamilyConnector and a throwaway project for discovery and doctor tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ColumnDetail,
  DiscoveryAdapter,
  DoctorResult,
  FamilyConnector,
  QueryRowsResult,
  TableDetail,
  TableRef,
  TableSummary,
} from '../../../src/discovery/types.js';
import { loadProjectConfig, type ProjectConfig } from '../../../src/project/config.js';
import type { ResolvedConnection } from '../../../src/runtime/driver.js';
import type { JsonValue } from '../../../src/yaml/json.js';
import { tempDir } from '../../helpers/cli.js';

export interface FakeTable {
  schema: string | null;
  name: string;
  kind?: 'table' | 'view';
  columns: Array<{ name: string; type: string; nullable?: boolean; pk?: number }>;
  rows: Array<Record<string, JsonValue>>;
}

export interface FakeState {
  tables: FakeTable[];
  fingerprint: string;
  /** Thrown by openDiscovery when set. */
  openError?: Error;
  /** Thrown by describeTable when set. */
  describeError?: Error;
  /** Answers queryRows (rows beyond `limit` are cut and reported as truncated); throws when unset. */
  query?: (sql: string) => Promise<QueryRowsResult> | QueryRowsResult;
  doctor?: (connection: ResolvedConnection, timeoutMs: number) => Promise<DoctorResult>;
}

export interface FakeCalls {
  open: number;
  close: number;
  fingerprint: number;
  list: number;
  describe: string[];
  sample: Array<{ table: string; limit: number }>;
  query: Array<{ sql: string; limit: number; timeoutMs: number | undefined }>;
  connections: ResolvedConnection[];
  /** The statement timeout each openDiscovery was given. */
  statementTimeouts: Array<number | undefined>;
}

export function fakeConnector(state: FakeState): { connector: FamilyConnector; calls: FakeCalls } {
  const calls: FakeCalls = {
    open: 0,
    close: 0,
    fingerprint: 0,
    list: 0,
    describe: [],
    sample: [],
    query: [],
    connections: [],
    statementTimeouts: [],
  };
  const find = (ref: TableRef) => {
    const t = state.tables.find((x) => x.schema === ref.schema && x.name === ref.name);
    if (!t) throw new Error(`no such table ${ref.name}`);
    return t;
  };
  const summary = (t: FakeTable): TableSummary => ({
    schema: t.schema,
    name: t.name,
    kind: t.kind ?? 'table',
    rowEstimate: t.rows.length,
  });
  const connector: FamilyConnector = {
    async openDiscovery(connection, options) {
      calls.open++;
      calls.connections.push(connection);
      calls.statementTimeouts.push(options?.statementTimeoutMs);
      if (state.openError) throw state.openError;
      const adapter: DiscoveryAdapter = {
        family: connection.family,
        async listTables() {
          calls.list++;
          return state.tables.map(summary);
        },
        async describeTable(ref) {
          calls.describe.push(ref.name);
          if (state.describeError) throw state.describeError;
          const t = find(ref);
          const columns: ColumnDetail[] = t.columns.map((c) => ({
            name: c.name,
            sourceType: c.type,
            duckdbType: c.type.toUpperCase(),
            nullable: c.nullable ?? true,
            primaryKeyPosition: c.pk ?? null,
            default: null,
          }));
          const detail: TableDetail = {
            ...summary(t),
            columns,
            primaryKey: t.columns
              .filter((c) => c.pk !== undefined)
              .sort((a, b) => (a.pk ?? 0) - (b.pk ?? 0))
              .map((c) => c.name),
          };
          return detail;
        },
        async sampleRows(ref, limit) {
          calls.sample.push({ table: ref.name, limit });
          return find(ref).rows.slice(0, limit);
        },
        async queryRows(sql, limit, options) {
          calls.query.push({ sql, limit, timeoutMs: options?.timeoutMs });
          if (!state.query) throw new Error('the fake connector has no query answer');
          const answer = await state.query(sql);
          return {
            columns: answer.columns,
            rows: answer.rows.slice(0, limit),
            truncated: answer.truncated || answer.rows.length > limit,
          };
        },
        async schemaFingerprint() {
          calls.fingerprint++;
          return state.fingerprint;
        },
        async close() {
          calls.close++;
        },
      };
      return adapter;
    },
    async doctor(connection, timeoutMs) {
      if (!state.doctor)
        return { status: 'ok', latencyMs: 1, message: 'connected', serverVersion: 'fake 1.0' };
      return state.doctor(connection, timeoutMs);
    },
  };
  return { connector, calls };
}

export const CANARY = 'CANARY-pw-7f3a9c2e';

/** A project folder with osiris.yaml (optionally extra YAML) and osiris_connections.yaml. */
export function makeProject(options: { osirisYaml?: string; connectionsYaml?: string } = {}): {
  dir: string;
  project: ProjectConfig;
} {
  const dir = tempDir('osiris-discovery-');
  writeFileSync(join(dir, 'osiris.yaml'), options.osirisYaml ?? 'version: "2.0"\n');
  writeFileSync(
    join(dir, 'osiris_connections.yaml'),
    options.connectionsYaml ??
      [
        'version: "1.0"',
        'connections:',
        '  mysql:',
        '    primary:',
        '      host: db.example.internal',
        '      port: 3306',
        '      database: shop',
        '      user: reader',
        `      password: ${CANARY}`,
        '    other:',
        '      host: other.example.internal',
        '      database: shop',
        '      user: reader',
        '      password: ${OTHER_PASSWORD}',
        '  filesystem:',
        '    local:',
        '      base_dir: ./data',
        '',
      ].join('\n'),
  );
  mkdirSync(join(dir, 'data'), { recursive: true });
  return { dir, project: loadProjectConfig({ cwd: dir, env: {} }) };
}

/** A small shop schema: users (with secret-looking columns), orders, a view. */
export function shopTables(): FakeTable[] {
  return [
    {
      schema: 'shop',
      name: 'users',
      columns: [
        { name: 'id', type: 'int', nullable: false, pk: 1 },
        { name: 'email', type: 'varchar(100)' },
        { name: 'password', type: 'varchar(100)' },
        { name: 'apiKey', type: 'varchar(64)' },
        { name: 'ssn', type: 'char(11)' },
        { name: 'credit_card_number', type: 'varchar(19)' },
        { name: 'notes', type: 'text' },
      ],
      rows: Array.from({ length: 30 }, (_, i) => ({
        id: i + 1,
        email: `user${i + 1}@example.com`,
        password: i === 2 ? null : `hunter${i}`,
        apiKey: `key-${i}`,
        ssn: `123-45-${String(1000 + i)}`,
        credit_card_number: `4111 1111 1111 ${String(1000 + i)}`,
        notes: i === 0 ? `my db password is ${CANARY}` : `note ${i}`,
      })),
    },
    {
      schema: 'shop',
      name: 'orders',
      columns: [
        { name: 'order_id', type: 'bigint', nullable: false, pk: 1 },
        { name: 'line', type: 'int', nullable: false, pk: 2 },
        { name: 'amount', type: 'decimal(12,2)' },
      ],
      rows: [
        { order_id: '1', line: 1, amount: '9.99' },
        { order_id: '1', line: 2, amount: '19.00' },
      ],
    },
    {
      schema: 'shop',
      name: 'recent_orders',
      kind: 'view',
      columns: [{ name: 'order_id', type: 'bigint' }],
      rows: [],
    },
  ];
}
