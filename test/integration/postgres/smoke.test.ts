import { afterAll, beforeAll, expect, it } from 'vitest';
import { driver } from '../../../src/components/postgres.extractor/driver.js';
import { driver as writer } from '../../../src/components/postgres.writer/driver.js';
import { openTestPlane, type TestPlane } from '../../helpers/step-context.js';
import { openPgFixture, type PgFixture } from './helpers.js';

let pg: PgFixture;
let tp: TestPlane;
beforeAll(async () => {
  pg = await openPgFixture();
  tp = await openTestPlane();
});
afterAll(async () => {
  tp.close();
  await pg.close();
});
it('smoke', async () => {
  await pg.exec(`create table ${pg.q('t')} (id int primary key, n numeric(10,2), u numeric, s text, a int[], ta text[], i interval, b bytea, j jsonb, tz timestamptz, f float8)`);
  await pg.exec(`insert into ${pg.q('t')} values (1, 1.5, 123.456, E'a\\tb\\\\c\\nd', '{1,NULL,3}', '{"a,b","x\\"y",NULL,"\\\\"}', '-1 days +02:03:00', '\\xdeadbeef', '{"a": [1, "x\\"y"]}', '2024-01-01 12:00:00.123456+02', 0.1), (2, null, null, null, null, null, null, null, null, null, 'Infinity')`);
  const r = await tp.runStep(driver, 'ex', { table: 't' }, { connection: pg.connection() });
  for (const mode of ['append', 'replace', 'upsert']) {
    const w = await tp.runStep(writer, 'w', { table: 't2', write_mode: mode, primary_key: 'id' }, { connection: pg.connection(), needs: ['ex'] });
    console.log(mode, w, tp.recorded.get('w')?.events);
  }
  console.log(await pg.rows(`select * from ${pg.q('t2')}`));
  console.log(await pg.rows(`select (select md5(string_agg(t::text, '|' order by id)) from ${pg.q('t')} t) = (select md5(string_agg(t::text, '|' order by id)) from ${pg.q('t2')} t) as same`));
  console.log(await pg.rows(`select * from ${pg.q('t')} except select * from ${pg.q('t2')}`));
});
