/**
 * The Node.js releases Osiris supports (docs/adr/0009-node-releases.md): `engines` names exactly the lines CI
 * tests, and .ci/run installs and runs the tests under each LTS line besides the machine's own Node 20.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

describe('supported Node.js releases', () => {
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  const majors = engines.split('||').map((range) => Number(/^\s*\^(\d+)\./.exec(range)?.[1]));

  it('engines lists caret ranges of the tested release lines, the LTS lines 22 and 24 among them', () => {
    expect(majors.every(Number.isInteger)).toBe(true);
    expect(majors).toEqual(expect.arrayContaining([22, 24]));
    expect(majors).toContain(Number(process.versions.node.split('.')[0]));
  });

  it('.ci/run runs the tests under every line of engines other than the machine’s own', () => {
    const ci = read('.ci/run');
    const loop = /for major in ([\d ]+); do/.exec(ci)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
    expect(ci).toMatch(/npm install [^\n]*--prefix "\$node_dir" "node@\$major"/);
    expect(ci).toMatch(/PATH="\$node_bin:\$PATH" npx vitest run/);
    expect(loop.sort()).toEqual(majors.filter((m) => m !== 20).sort());
  });

  it('README says which releases are supported', () => {
    expect(read('README.md')).toMatch(/Requires Node\.js 22 or 24 \(the LTS releases\), or 20\.19/);
  });
});
