/**
 * A project component whose driver is `driver.ts`: Node (20+) cannot import it, so instead of showing as
 * runnable and failing at run time with "Unknown file extension .ts", every command refuses it with REG014
 * and says how to fix it. The built CLI, in a fresh project.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';

const SPEC = `name: acme.upper
version: 1.0.0
modes: [transform]
capabilities: {}
configSchema:
  type: object
  properties:
    column:
      type: string
      description: The column to upper-case.
  required: [column]
  additionalProperties: false
`;

const DRIVER_TS = `import type { StepContext } from 'osiris';
export const driver = {
  async run(ctx: StepContext) {
    const input = ctx.inputs[0]!.table;
    await ctx.duck.run(\`CREATE TABLE \${ctx.outputTable} AS SELECT upper(name) AS name FROM \${input}\`);
    return {};
  },
};
`;

const PIPELINE = `oml_version: "0.1.0"
name: upper-names
steps:
  - id: read
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/names.csv
  - id: upper
    component: acme.upper
    mode: transform
    needs: [read]
    config:
      column: name
  - id: write
    component: filesystem.csv_writer
    mode: write
    needs: [upper]
    config:
      path: output/names.csv
`;

let dir: string;
const osiris = (...args: string[]) => runCli(args, { cwd: dir });

beforeAll(() => {
  dir = tempDir('osiris-ts-driver-');
  const write = (rel: string, text: string) => {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  write('osiris.yaml', 'version: "2.0"\n');
  write('data/names.csv', 'name\nada\ngrace\n');
  write('components/acme.upper/spec.yaml', SPEC);
  write('components/acme.upper/driver.ts', DRIVER_TS);
  write('pipelines/upper.yaml', PIPELINE);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a project component with driver.ts', () => {
  it('is listed as not runnable, with the reason', () => {
    const json = osiris('components', 'list', '--json');
    const entry = (JSON.parse(json.stdout).components as Array<Record<string, unknown>>).find(
      (c) => c.name === 'acme.upper',
    );
    expect(entry).toMatchObject({ runnable: false });
    expect(String(entry?.not_runnable)).toContain('REG014');
    const human = osiris('components', 'list');
    expect(human.stdout).toMatch(/^acme\.upper\s+1\.0\.0\s+transform\s+✗/m);
    expect(human.stderr).toContain(
      'warning: acme.upper is not runnable: its driver components/acme.upper/driver.ts is TypeScript',
    );
  });

  it('is shown as not runnable', () => {
    const show = osiris('components', 'show', 'acme.upper');
    expect(show.stdout).toMatch(
      /^Runnable: +✗ its driver components\/acme\.upper\/driver\.ts is TypeScript/m,
    );
    const json = JSON.parse(osiris('components', 'show', 'acme.upper', '--json').stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ runnable: false, driverPath: null });
    expect(String(json.not_runnable)).toContain('REG014');
  });

  it('fails components validate with a fix hint', () => {
    const r = osiris('components', 'validate', 'acme.upper');
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const out = r.stdout + r.stderr;
    expect(out).toContain('error REG014');
    expect(out).toContain('compile it to driver.js');
    expect(out).toContain('driver.mjs');
  });

  it('fails validate and run of a pipeline using it, located at the step — never at run time', () => {
    const validate = osiris('validate', 'pipelines/upper.yaml');
    expect(validate.code).toBe(2);
    expect(validate.stderr).toMatch(
      /pipelines\/upper\.yaml:10:16 error REG014 component 'acme\.upper' has a TypeScript driver/,
    );
    const run = osiris('run', 'pipelines/upper.yaml');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error REG014');
    expect(run.stderr).not.toContain('Unknown file extension');
  });

  it('runs once the driver is JavaScript (driver.mjs)', () => {
    writeFileSync(
      join(dir, 'components/acme.upper/driver.mjs'),
      DRIVER_TS.replace(/^import type .*\n/, '')
        .replace('(ctx: StepContext)', '(ctx)')
        .replace('[0]!', '[0]'),
    );
    expect(osiris('components', 'validate', 'acme.upper').code).toBe(0);
    const run = osiris('run', 'pipelines/upper.yaml');
    expect(run.code, run.stderr).toBe(0);
  });
});
