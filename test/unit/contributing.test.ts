/**
 * CONTRIBUTING.md stays true: its layout table names every folder under src/, and every file or folder it
 * links to exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

const text = readFileSync(join(REPO_ROOT, 'CONTRIBUTING.md'), 'utf8');

describe('CONTRIBUTING.md', () => {
  it('lists every folder under src/ in the layout table', () => {
    const rows = new Set([...text.matchAll(/^\| `src\/([a-z-]+)\/?(?:<name>\/)?` \|/gm)].map((m) => m[1]));
    const folders = readdirSync(join(REPO_ROOT, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    for (const folder of folders)
      expect(rows, `src/${folder} is missing from the layout table`).toContain(folder);
  });

  it('links only to files that exist', () => {
    const links = [...text.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(2);
    for (const link of links) expect(existsSync(join(REPO_ROOT, link)), link).toBe(true);
  });
});
