/**
 * The MySQL connector's `doctor` directly (`osiris connections doctor` is tested in test/integration/discovery/):
 * ok with the server version, auth failed without the password in the message, database missing, unreachable
 * (refused port, unknown host) and timeout (a server that accepts and never answers), within the time limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/mysql/index.js';
import { mysqlUnavailable } from '../../helpers/databases.js';
import { silentServer } from '../discovery/helpers.js';
import { createTestDb, type MysqlTestDb } from './helpers.js';

const why = await mysqlUnavailable();

describe.skipIf(why !== undefined)('MySQL connector: doctor', () => {
  let db: MysqlTestDb;

  beforeAll(async () => {
    db = await createTestDb();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('doctor tells ok, auth failed, database missing, unreachable and timeout apart', async () => {
    const silent = await silentServer();
    try {
      const ok = await connector.doctor(db.connection(), 2000);
      expect(ok).toMatchObject({ status: 'ok' });
      expect(ok.serverVersion).toMatch(/MariaDB|^\d+\.\d+/);
      const secret = 'Wr0ng-Secret-Value';
      const auth = await connector.doctor(db.connection({ password: secret }), 2000);
      expect(auth.status).toBe('auth_failed');
      expect(auth.message).toContain('@mysql.test');
      expect(auth.message).not.toContain(secret);
      expect((await connector.doctor(db.connection({ database: `${db.name}_nope` }), 2000)).status).toBe(
        'database_missing',
      );
      expect((await connector.doctor(db.connection({ port: 1 }), 2000)).status).toBe('unreachable');
      expect((await connector.doctor(db.connection({ host: 'no-such-host.invalid' }), 2000)).status).toBe(
        'unreachable',
      );
      const started = Date.now();
      const slow = await connector.doctor(db.connection({ port: silent.port }), 800);
      expect(slow.status).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await silent.close();
    }
  });
});
