/**
 * docs/reference/configuration.md shows the osiris.yaml that `osiris init` writes: the block must be the
 * template itself (OSIRIS_UPDATE_DOCS=1 rewrites it), it must load, and every variable the doc lists exists.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProjectConfig } from '../../../src/project/config.js';
import { OSIRIS_YAML_TEMPLATE } from '../../../src/project/scaffold.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const file = join(REPO_ROOT, 'docs/reference/configuration.md');
const block = /(<!-- template:begin[^\n]*-->\n```yaml\n)([\s\S]*?)(```\n<!-- template:end -->)/;

describe('docs/reference/configuration.md', () => {
  it('shows the template osiris init writes', () => {
    let text = readFileSync(file, 'utf8');
    if (process.env.OSIRIS_UPDATE_DOCS === '1') {
      text = text.replace(
        block,
        (_m, open: string, _old: string, close: string) => open + OSIRIS_YAML_TEMPLATE + close,
      );
      writeFileSync(file, text);
    }
    expect(text.match(block)?.[2]).toBe(OSIRIS_YAML_TEMPLATE);
  });

  it('the documented file loads, with the documented defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osiris-config-doc-'));
    writeFileSync(join(dir, 'osiris.yaml'), readFileSync(file, 'utf8').match(block)?.[2] ?? '');
    const config = loadProjectConfig({ cwd: dir, env: {} });
    expect(config.runtime).toEqual({
      memoryLimit: 'auto',
      threads: undefined,
      passThrough: true,
      fuse: true,
      lockTimeoutMs: 300_000,
    });
    expect(config.paths.pipelines).toBe(join(dir, 'pipelines'));
  });

  it('lists only environment variables Osiris reads', () => {
    const listed = new Set(readFileSync(file, 'utf8').match(/OSIRIS_[A-Z_]+/g));
    const sources = [
      'project/config.ts',
      'agent/llm-config.ts',
      'connections/config.ts',
      'util/read-bounded.ts',
      'mcp/serve.ts',
      'runtime/fuse/source-size.ts',
      'fleet/redis.ts',
      'runtime/file-stream.ts',
    ]
      .map((f) => readFileSync(join(REPO_ROOT, 'src', f), 'utf8'))
      .join('\n');
    for (const name of listed) expect(sources, name).toContain(name);
  });
});
