import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCliReference } from '../../../src/cli/docs.js';
import { buildProgram } from '../../../src/cli/main.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const file = join(REPO_ROOT, 'docs/reference/cli.md');

describe('docs/reference/cli.md', () => {
  it('matches the CLI definitions', () => {
    const rendered = renderCliReference(buildProgram());
    if (process.env.OSIRIS_UPDATE_DOCS === '1') writeFileSync(file, rendered);
    expect(readFileSync(file, 'utf8')).toBe(rendered);
  });

  it('documents every command group', () => {
    const text = readFileSync(file, 'utf8');
    for (const command of [
      'init',
      'validate',
      'compile',
      'run',
      'components list',
      'connections list',
      'logs show',
    ]) {
      expect(text).toContain(`## \`osiris ${command}\``);
    }
  });
});
