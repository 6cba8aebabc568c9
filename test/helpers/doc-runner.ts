/**
 * Runs a Markdown document as a person following it would: blocks marked `file=<path>` are written into a
 * fresh folder, `bash` blocks run line by line (`npx osiris` → the built CLI, `cd` changes folder), and blocks
 * marked `file=<path> check` must equal the file the commands produced. Any other command fails the test, so
 * a document cannot ask for something the test does not do.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { OSIRIS_BIN, REPO_ROOT, tempDir } from './cli.js';

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

/** Follows `doc` (a path under the repository) in a temp folder; returns that folder. */
export function runDocument(doc: string): string {
  const markdown = readFileSync(join(REPO_ROOT, doc), 'utf8');
  const root = tempDir('osiris-doc-');
  let cwd = root;
  const checks: Block[] = [];
  for (const block of blocks(markdown)) {
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
      expect(command, `unexpected command in ${doc}: ${line}`).not.toBe(line);
      try {
        execSync(command, { cwd, stdio: 'pipe', encoding: 'utf8' });
      } catch (error) {
        const e = error as { status?: number; stdout?: string; stderr?: string };
        throw new Error(`${doc}: \`${line}\` exited ${e.status}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    }
  }
  expect(checks.length, `${doc} checks no result`).toBeGreaterThan(0);
  for (const check of checks) {
    const file = /file=(\S+)/.exec(check.attrs)?.[1] as string;
    expect(readFileSync(join(cwd, file), 'utf8'), `${file} as ${doc} shows it`).toBe(check.body);
  }
  return root;
}
