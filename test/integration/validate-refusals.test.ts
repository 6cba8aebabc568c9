// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OML and connection files write ${…} literally
/**
 * What the run would refuse, `osiris validate` refuses first (exit 2, located, with a fix): each case here
 * used to validate and then fail at run time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const HEAD = 'oml_version: "0.1.0"\nname: refusals\n';
const EXTRACT = `  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config:
      path: in.csv
`;
const writer = (path: string, extra = '') => `  - id: write
    component: filesystem.csv_writer
    mode: write
${extra}    config:
      path: ${path}
`;
const mysqlRead = (ref: string) => `  - id: read
    component: mysql.extractor
    mode: read
    config:
      connection: "${ref}"
      query: SELECT 1
`;

function project(files: Record<string, string>): string {
  const dir = tempDir('osiris-refusals-');
  writeFileSync(
    join(dir, 'osiris.yaml'),
    'version: "1"\nfilesystem:\n  profiles:\n    enabled: true\n    values: [dev, prod]\n    default: dev\n',
  );
  writeFileSync(join(dir, 'in.csv'), 'id,name\n1,a\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function validate(dir: string, ...args: string[]) {
  return runCli(['validate', 'p.yaml', ...args], { cwd: dir });
}

const connections = (fields: string) =>
  `version: "1.0"\nconnections:\n  mysql:\n    main:\n      host: localhost\n      database: shop\n      user: app\n${fields}`;

describe('validate refuses what the run would refuse', () => {
  it('a writer with no upstream step', () => {
    const dir = project({ 'p.yaml': `${HEAD}steps:\n${writer('out.csv', '    needs: []\n')}` });
    const r = validate(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "p.yaml:4:9 error OML045 writer step 'write' has no upstream step: it has nothing to write",
    );
  });

  it('a param default that refers to another param', () => {
    const dir = project({
      'p.yaml': `${HEAD}params:\n  base: out\n  target: "\${params.base}/x.csv"\nsteps:\n${EXTRACT}${writer('"${params.target}"')}`,
    });
    const r = validate(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "p.yaml:5:11 error PAR012 the default of param 'target' refers to another param; params are not resolved inside params",
    );
  });

  it('a NUL byte in a path', () => {
    const dir = project({ 'p.yaml': `${HEAD}steps:\n${EXTRACT}${writer('"out\\0.csv"')}` });
    const r = validate(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("p.yaml:13:13 error OML047 'config.path' contains a NUL character");
  });

  it('an unknown connection alias when a connections file exists, with a did-you-mean', () => {
    const dir = project({
      'p.yaml': `${HEAD}steps:\n${mysqlRead('@mysql.mian')}${writer('out.csv')}`,
      'osiris_connections.yaml': connections('      password: ""\n'),
    });
    // `osiris run` compiles with the same check: it refuses before connecting to anything.
    for (const r of [validate(dir), runCli(['run', 'p.yaml'], { cwd: dir })]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "p.yaml:8:19 error OML048 connection @mysql.mian: unknown alias 'mian' in connection family 'mysql' (aliases: main) — did you mean '@mysql.main'?",
      );
    }
  });

  it('--profile nosuch names the profiles there are', () => {
    const dir = project({ 'p.yaml': `${HEAD}steps:\n${EXTRACT}${writer('out.csv')}` });
    const r = validate(dir, '--profile', 'prdo');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error CMP003 unknown profile 'prdo' \(known: dev, prod\) — did you mean 'prod'\?/,
    );
  });

  it('a misspelt connection field, and a port that is not a number', () => {
    const dir = project({
      'p.yaml': `${HEAD}steps:\n${mysqlRead('@mysql.main')}${writer('out.csv')}`,
      'osiris_connections.yaml': connections('      pasword: ${DB_PASSWORD}\n      port: "abc"\n'),
    });
    for (const r of [validate(dir), runCli(['validate'], { cwd: dir })]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "osiris_connections.yaml:8:7 error CON011 @mysql.main has no field 'pasword' (it would be ignored) — did you mean 'password'?",
      );
      expect(r.stderr).toContain(
        'osiris_connections.yaml:9:13 error CON012 port of @mysql.main must be a whole number from 1 to 65535 or a ${VAR} reference, got "abc"',
      );
    }
  });
});
