/**
 * Osiris used outside its own clone. The package exactly as npm would publish it (`npm pack`: only `bin/` and
 * `dist/`, no `src/`) is installed globally into a throwaway prefix; then, in an empty folder, `osiris init`
 * and every next step it prints are run as printed, with that prefix's bin/ on PATH — the sample pipeline
 * validates and runs and writes its CSV. Dependencies come from the npm cache that `npm ci` filled.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/cli.js';

/** The environment without the `npm_*` variables of the `npm test` that may be running us. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, NO_COLOR: '1', ...extra };
}

describe('installed from the packed package, used in an empty folder', () => {
  let prefix: string;

  beforeAll(() => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
    const packDir = tempDir('osiris-pack-');
    // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet; it is built already.
    execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], {
      cwd: REPO_ROOT,
      env: cleanEnv(),
      stdio: 'pipe',
    });
    const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz')) as string);
    prefix = tempDir('osiris-prefix-');
    execFileSync(
      'npm',
      ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
      { env: cleanEnv(), stdio: 'pipe', timeout: 180_000 },
    );
  }, 240_000);

  it('ships bin/ and dist/ only, and finds its component specs in dist/', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'osiris-etl');
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'dist', 'components', 'specs.json'))).toBe(true);
    const list = spawnSync(join(prefix, 'bin', 'osiris'), ['components', 'list', '--json'], {
      env: cleanEnv(),
      encoding: 'utf8',
    });
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain('postgres.writer');
  });

  it('init, then every next step as printed: validate and run the sample pipeline', () => {
    const env = cleanEnv({ PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH ?? ''}` });
    const cwd = tempDir('osiris-empty-');
    const init = spawnSync('osiris', ['init', 'my-project', '--json'], { cwd, env, encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
    const { next_steps: steps, osiris_on_path: onPath } = JSON.parse(init.stdout) as {
      next_steps: string[];
      osiris_on_path: boolean;
    };
    expect(onPath).toBe(true);
    expect(steps[0]).toBe('cd my-project');
    expect(steps).toContain(
      'osiris validate pipelines/orders_by_country.yaml   # the sample pipeline: CSV -> DuckDB SQL -> CSV',
    );
    const script = ['set -euo pipefail', ...steps].join('\n');
    const ran = spawnSync('bash', ['-c', script], { cwd, env, encoding: 'utf8', timeout: 120_000 });
    expect(ran.status, `${ran.stdout}\n${ran.stderr}`).toBe(0);
    expect(ran.stdout).toContain('✓ pipelines/orders_by_country.yaml is valid (3 steps)');
    expect(readFileSync(join(cwd, 'my-project', 'output', 'orders_by_country.csv'), 'utf8')).toBe(
      'country,orders,revenue\nFR,2,262.25\nUS,1,99.00\nDE,2,25.40\n',
    );
    // The HTML report is built from assets shipped in dist/ too.
    const html = spawnSync('osiris', ['logs', 'html', '--json'], {
      cwd: join(cwd, 'my-project'),
      env,
      encoding: 'utf8',
    });
    expect(html.status, html.stderr).toBe(0);
    const { path } = JSON.parse(html.stdout) as { path: string };
    expect(readFileSync(path, 'utf8')).toContain('orders-by-country');
  });
});
