import { DuckDBInstance } from '@duckdb/node-api';
import { spawn, execFileSync } from 'node:child_process';
const inst = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '48MB' });
const c = await inst.connect();
const src = process.argv[2];
const cols = `columns = {'c1':'VARCHAR','c2':'VARCHAR','c3':'VARCHAR','c4':'VARCHAR','c5':'VARCHAR','c6':'VARCHAR'}, delim='\t', quote='', escape='', header=false, auto_detect=false, nullstr='\\N', buffer_size=4194304, max_line_size=4194304`;
const sql = `COPY (SELECT c1::INTEGER id, c2 email, c3::DECIMAL(12,2) amount, c4::TIMESTAMP created_at, c5::INTEGER category, c6 note FROM read_csv('${src}', ${cols})) TO '/tmp/dbfile-prof/o.csv' (HEADER)`;
let child;
if (process.argv[3]) { child = spawn('bash', ['-c', process.argv[3]], { stdio: 'inherit' }); }
const t = Date.now(); await c.run(sql); console.log(src, Date.now() - t, 'ms');
