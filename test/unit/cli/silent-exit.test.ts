/** A command whose work never settles must not exit 0 in silence (Node's behaviour when the loop empties). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const mainUrl = pathToFileURL(join(REPO_ROOT, 'dist/cli/main.js')).href;

function node(script: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('guardSilentExit', () => {
  it('turns an exit with work still pending into exit 1 with an explanation', () => {
    const r = node(
      `const { guardSilentExit } = await import('${mainUrl}'); guardSilentExit(); new Promise(() => {});`,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/internal error: the command stopped before it finished/);
  });

  it('stays out of the way once released', () => {
    const r = node(`const { guardSilentExit } = await import('${mainUrl}'); guardSilentExit()();`);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});

const guardsUrl = pathToFileURL(join(REPO_ROOT, 'dist/cli/process-guards.js')).href;

describe('catchStrayErrors', () => {
  it('turns an error thrown outside any action into one line and exit 1, no stack', () => {
    const r = node(
      `const { catchStrayErrors } = await import('${guardsUrl}'); catchStrayErrors(); setTimeout(() => { throw new Error('boom'); });`,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'osiris: internal error: boom — this is a bug; set OSIRIS_DEBUG=1 for details and please report it\n',
    );
  });
});
