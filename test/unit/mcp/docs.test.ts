/**
 * docs/reference/mcp.md against the code: every tool in the table, every MCP code in the codes table; and
 * the OML JSON Schema accepts the authoring guide's example and refuses what the validator refuses.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { omlJsonSchema } from '../../../src/oml/json-schema.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { TOOLS } from '../../../src/tools/index.js';
import { newAjv } from '../../../src/util/ajv.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const doc = readFileSync(join(REPO_ROOT, 'docs/reference/mcp.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('docs/reference/mcp.md', () => {
  it('lists every tool', () => {
    for (const tool of TOOLS) expect(doc, tool.name).toContain(`| \`${tool.name}\` |`);
  });

  it('lists every MCP code the source uses', () => {
    const used = new Set(
      sources(join(REPO_ROOT, 'src')).flatMap((f) => readFileSync(f, 'utf8').match(/'MCP\d{3}'/g) ?? []),
    );
    expect(used.size).toBeGreaterThan(10);
    for (const code of used) expect(doc, code).toContain(`| \`${code.slice(1, -1)}\` |`);
  });
});

describe('the OML JSON Schema', () => {
  const validate = newAjv({ allErrors: true, strict: false }).compile(
    omlJsonSchema(loadRegistry({ projectRoot: REPO_ROOT })),
  );
  const guide = readFileSync(join(REPO_ROOT, 'src/mcp/authoring-guide.md'), 'utf8');
  const example = parse(/```yaml\n([\s\S]*?)```/.exec(guide)?.[1] ?? '');

  it("accepts the authoring guide's example", () => {
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses a legacy top-level key, a missing mode and an unknown component', () => {
    expect(validate({ ...example, version: '1' })).toBe(false);
    const [first, ...rest] = example.steps;
    expect(validate({ ...example, steps: [{ ...first, mode: undefined }, ...rest] })).toBe(false);
    expect(validate({ ...example, steps: [{ ...first, component: 'mysql.extracter' }, ...rest] })).toBe(
      false,
    );
  });
});
