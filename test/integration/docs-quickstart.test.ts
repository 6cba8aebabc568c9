/**
 * Executes docs/quickstart.md: files shown with `file=<path>` are written, bash blocks are run in order
 * (`npx osiris` → the built CLI), and blocks marked `check` must equal the file the pipeline produced.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OSIRIS_BIN, REPO_ROOT, tempDir } from '../helpers/cli.js';

interface Block {
  lang: string;
  attrs: string;
  body: string;
}

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/```(\w+)([^\n]*)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1] as string,
    attrs: (m[2] as string).trim(),
    body: m[3] as string,
  }));
}

describe('docs/quickstart.md', () => {
  it('works exactly as written', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/quickstart.md'), 'utf8');
    let cwd = tempDir('osiris-quickstart-');
    const checks: Block[] = [];
    for (const block of blocks(doc)) {
      const file = /file=(\S+)/.exec(block.attrs)?.[1];
      if (file && block.attrs.includes('check')) {
        checks.push(block);
        continue;
      }
      if (file) {
        mkdirSync(dirname(join(cwd, file)), { recursive: true });
        writeFileSync(join(cwd, file), block.body);
        continue;
      }
      if (block.lang !== 'bash') continue;
      for (const line of block.body.split('\n').map((l) => l.trim())) {
        if (!line) continue;
        const cd = /^cd (\S+)$/.exec(line);
        if (cd) {
          cwd = join(cwd, cd[1] as string);
          continue;
        }
        const command = line.replace(/^(npx )?osiris /, `node ${OSIRIS_BIN} `);
        expect(command, `unexpected command in quickstart: ${line}`).not.toBe(line);
        execSync(command, { cwd, stdio: 'pipe', encoding: 'utf8' });
      }
    }
    expect(checks.length).toBeGreaterThan(0);
    for (const check of checks) {
      const file = /file=(\S+)/.exec(check.attrs)?.[1] as string;
      expect(readFileSync(join(cwd, file), 'utf8')).toBe(check.body);
    }
  });
});
