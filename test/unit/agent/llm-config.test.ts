import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KEY_VARIABLES,
  LLM_YAML_KEYS,
  PROVIDERS,
  resolveLlmSettings,
} from '../../../src/agent/llm-config.js';
import { OsirisError } from '../../../src/diagnostics/diagnostic.js';
import { loadProjectConfig } from '../../../src/project/config.js';
import { ENV_EXAMPLE_TEMPLATE, OSIRIS_YAML_TEMPLATE } from '../../../src/project/scaffold.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'osiris-llm-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'osiris.yaml'), yaml);
  return loadProjectConfig({ cwd: dir, env: {} });
}

function failure(fn: () => unknown): { code: string; message: string; hint: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof OsirisError) {
      const d = error.diagnostics[0];
      return { code: d?.code ?? '', message: d?.message ?? '', hint: d?.hint ?? '' };
    }
    throw error;
  }
  throw new Error('expected an OsirisError');
}

describe('LLM settings', () => {
  it('reads the osiris.yaml example of docs/reference/chat.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/reference/chat.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const settings = resolveLlmSettings(project(`version: "2.0"\n${yaml}`), { OPENAI_API_KEY: 'sk-x' });
    expect(settings).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini',
      temperature: 0.1,
      maxTokens: 4096,
      maxRepairAttempts: 2,
      keyVariable: 'OPENAI_API_KEY',
    });
    expect(settings.sources).toMatchObject({ provider: 'osiris.yaml', model: 'osiris.yaml' });
  });

  it('flags beat the environment, which beats osiris.yaml', () => {
    const p = project('llm:\n  provider: openai\n  model: from-yaml\n  temperature: 0.5\n');
    const env = {
      OPENAI_API_KEY: 'k',
      ANTHROPIC_API_KEY: 'k',
      OSIRIS_LLM_MODEL: 'from-env',
      OSIRIS_LLM_TEMPERATURE: '0.3',
    };
    expect(resolveLlmSettings(p, env)).toMatchObject({ model: 'from-env', temperature: 0.3 });
    const flagged = resolveLlmSettings(p, env, { provider: 'claude', model: 'from-flag', temperature: '0' });
    expect(flagged).toMatchObject({ provider: 'anthropic', model: 'from-flag', temperature: 0 });
    expect(flagged.sources).toMatchObject({ provider: 'flag', model: 'flag', temperature: 'flag' });
  });

  it('infers the provider from the one key that is set; local servers need no key', () => {
    expect(resolveLlmSettings(project(''), { ANTHROPIC_API_KEY: 'k' })).toMatchObject({
      provider: 'anthropic',
      keyVariable: 'ANTHROPIC_API_KEY',
    });
    expect(resolveLlmSettings(project('llm:\n  provider: ollama\n  model: llama3.1\n'), {})).toMatchObject({
      provider: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:11434/v1',
      keyVariable: undefined,
    });
  });

  it('names the variable to set when nothing is configured', () => {
    expect(failure(() => resolveLlmSettings(project(''), {}))).toMatchObject({
      code: 'AGT001',
      hint: expect.stringContaining('OPENAI_API_KEY'),
    });
    expect(failure(() => resolveLlmSettings(project('llm:\n  provider: google\n'), {}))).toMatchObject({
      code: 'AGT002',
      message: expect.stringContaining('GOOGLE_GENERATIVE_AI_API_KEY'),
    });
    expect(
      failure(() => resolveLlmSettings(project(''), { OPENAI_API_KEY: 'a', GEMINI_API_KEY: 'b' })).code,
    ).toBe('AGT001');
  });

  it('rejects unknown providers and bad values with where and how to fix', () => {
    expect(failure(() => resolveLlmSettings(project('llm:\n  provider: opena\n'), {}))).toMatchObject({
      code: 'AGT003',
      hint: "did you mean 'openai'?",
    });
    expect(failure(() => resolveLlmSettings(project('llm:\n  temperature: 9\n'), {})).code).toBe('AGT004');
    expect(
      failure(() => resolveLlmSettings(project(''), { OPENAI_API_KEY: 'k' }, { temperature: 'hot' })).code,
    ).toBe('AGT005');
    expect(
      failure(() => resolveLlmSettings(project('llm:\n  provider: openai-compatible\n  model: m\n'), {}))
        .message,
    ).toContain('base URL');
  });
});

describe('the llm: block osiris init writes', () => {
  const llmBlock = /\nllm:\n((?: {2}.*\n)+)/.exec(OSIRIS_YAML_TEMPLATE)?.[1] ?? '';

  it('names the providers and key variables chat reads, and every llm: setting', () => {
    const providerLine = /^ {2}provider: .*$/m.exec(llmBlock)?.[0] ?? '';
    for (const provider of PROVIDERS) expect(providerLine).toContain(provider);
    expect(providerLine).not.toMatch(/\| gemini\b/);
    for (const names of Object.values(KEY_VARIABLES)) expect(llmBlock).toContain(names[0]);
    // Each llm: key appears, set or commented out; no key chat would not read.
    const keys = [...llmBlock.matchAll(/^ {2}(?:# )?([a-z_]+):/gm)].map((m) => m[1]);
    for (const key of keys) expect(LLM_YAML_KEYS).toContain(key);
    for (const key of LLM_YAML_KEYS.filter((k) => k !== 'api_key_env')) expect(keys).toContain(key);
  });

  it('.env.example lists the documented key variables', () => {
    const listed = [...ENV_EXAMPLE_TEMPLATE.matchAll(/^# ([A-Z_]+_API_KEY)=/gm)].map((m) => m[1]);
    expect(listed).toEqual(Object.values(KEY_VARIABLES).map((names) => names[0]));
  });

  it('loads, and chat reads it as written', () => {
    const settings = resolveLlmSettings(project(OSIRIS_YAML_TEMPLATE), { OPENAI_API_KEY: 'sk-x' });
    expect(settings).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini' });
  });
});
