/** docs/reference/oml.md is checked against the code: every diagnostic code, and every full-pipeline example. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkOml } from '../../../src/oml/check.js';
import { ALL_CODES } from '../../../src/oml/codes.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { parseLocatedYaml } from '../../../src/yaml/located.js';

const DOC = fileURLToPath(new URL('../../../docs/reference/oml.md', import.meta.url));
const text = readFileSync(DOC, 'utf8');

/** Fenced blocks whose info string is `yaml pipeline`: complete pipelines that must validate. */
function pipelineBlocks(markdown: string): { line: number; body: string }[] {
  const out: { line: number; body: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```yaml pipeline') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== '```') end++;
    out.push({ line: start + 1, body: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

describe('docs/reference/oml.md', () => {
  it("documents every diagnostic code in its table, with the code's severity", () => {
    const missing: string[] = [];
    for (const info of ALL_CODES) {
      const row = new RegExp(`^\\|\\s*\`${info.code}\`\\s*\\|\\s*${info.severity}\\s*\\|`, 'm');
      if (!row.test(text)) missing.push(`${info.code} (${info.severity})`);
    }
    expect(missing).toEqual([]);
  });

  it('documents no code the validator does not have', () => {
    const known = new Set([...ALL_CODES.map((c) => c.code), 'YAML001']);
    const mentioned = [...text.matchAll(/\b(OML|PAR)\d{3}\b/g)].map((m) => m[0]);
    expect(mentioned.filter((c) => !known.has(c))).toEqual([]);
  });

  const blocks = pipelineBlocks(text);
  it('has full-pipeline examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  const registry = loadRegistry();
  for (const block of blocks) {
    it(`example at line ${block.line} validates with no errors or warnings against the shipped components`, async () => {
      const doc = parseLocatedYaml(block.body, `oml.md:${block.line}`);
      const result = await checkOml(doc, { registry, params: { profile: 'prod' } });
      expect(result.diagnostics).toEqual([]);
      expect(result.ok).toBe(true);
    });
  }
});
