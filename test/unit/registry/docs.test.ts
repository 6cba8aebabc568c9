import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderComponentsReference } from '../../../src/registry/docs.js';
import { loadRegistry } from '../../../src/registry/load.js';
import { writeFileAtomic } from '../../../src/util/fs-atomic.js';

const DOC = resolve('docs/reference/components.md');

describe('docs/reference/components.md', () => {
  const registry = loadRegistry({ fresh: true });
  const rendered = renderComponentsReference(registry);

  it('is generated from the shipped specs (OSIRIS_UPDATE_DOCS=1 rewrites it)', () => {
    if (process.env.OSIRIS_UPDATE_DOCS === '1') writeFileAtomic(DOC, rendered);
    expect(existsSync(DOC), 'run with OSIRIS_UPDATE_DOCS=1 to create it').toBe(true);
    expect(
      readFileSync(DOC, 'utf8'),
      'docs/reference/components.md is stale: OSIRIS_UPDATE_DOCS=1 npx vitest run test/unit/registry/docs.test.ts',
    ).toBe(rendered);
  });

  it('has a section, a config table and an OML example for every component', () => {
    for (const c of registry.list()) {
      expect(rendered).toContain(`## ${c.spec.name}\n`);
      for (const field of Object.keys(c.spec.configSchema.properties))
        expect(rendered).toContain(`| \`${field}\` |`);
      if (c.spec.examples?.length) expect(rendered).toContain(`component: ${c.spec.name}\n`);
    }
  });

  it('renders connection policies and secrets', () => {
    expect(rendered).toContain("Provided by `connection: '@mysql.<alias>'`.");
    expect(rendered).toMatch(/\| `password` \| `forbidden` \|/);
    expect(rendered).toContain('Secret fields: `/password`.');
    expect(rendered).toContain('Exactly one of `query`, `table` must be set.');
    expect(rendered).toContain('When `write_mode` is `upsert`, `primary_key` must be set.');
  });

  it('is deterministic', () => {
    expect(renderComponentsReference(loadRegistry({ fresh: true }))).toBe(rendered);
  });
});
