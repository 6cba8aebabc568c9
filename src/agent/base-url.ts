/**
 * Where an LLM setting came from (osiris.yaml line:col, a flag, an environment variable), so an error about
 * it points there; and the check that a base URL is one fetch can call at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { OsirisError, type SourceLocation } from '../diagnostics/diagnostic.js';
import type { ProjectConfig } from '../project/config.js';
import { parseLocatedYaml } from '../yaml/located.js';

export type SettingSource = 'flag' | 'env' | 'osiris.yaml' | 'default';

/** A setting's location and how to name it in a hint. */
export interface SettingWhere {
  location: SourceLocation;
  setting: string;
}

const NAMES: Readonly<Record<'provider' | 'base_url', { flag: string; env: string }>> = {
  provider: { flag: '--provider', env: 'OSIRIS_LLM_PROVIDER' },
  base_url: { flag: '--base-url', env: 'OSIRIS_LLM_BASE_URL' },
};

/** `llm.<key>` in osiris.yaml, located at its value. */
function inConfigFile(project: ProjectConfig, key: string): SourceLocation {
  const file = project.configFile;
  if (!file || !existsSync(file)) return { path: `llm.${key}` };
  const doc = parseLocatedYaml(readFileSync(file, 'utf8'), file);
  return { ...doc.locate(['llm', key], 'value'), path: `llm.${key}` };
}

export function settingWhere(
  project: ProjectConfig,
  key: 'provider' | 'base_url',
  source: SettingSource,
): SettingWhere {
  const names = NAMES[key];
  if (source === 'flag') return { location: { path: names.flag }, setting: names.flag };
  if (source === 'env') return { location: { path: names.env }, setting: names.env };
  const located = source === 'osiris.yaml' ? inConfigFile(project, key) : { path: `llm.${key}` };
  return { location: located, setting: `llm.${key} in osiris.yaml` };
}

/**
 * Ports the Fetch standard blocks (https://fetch.spec.whatwg.org/#port-blocking): Node's fetch fails on
 * them with a bare "bad port" before any connection is attempted.
 */
const BLOCKED_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** Throws AGT007 (exit 2) when `url` is not an http(s) URL fetch will call. */
export function checkBaseUrl(url: string, where: SettingWhere): void {
  function fail(problem: string, hint: string): never {
    throw OsirisError.of('AGT007', `base URL '${url}' ${problem}`, where.location, { hint });
  }
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed) fail('is not a URL', `set ${where.setting} to e.g. http://127.0.0.1:11434/v1`);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    fail(`uses ${parsed.protocol.replace(/:$/, '')}`, `use http:// or https:// in ${where.setting}`);
  }
  const port = Number(parsed.port);
  if (parsed.port !== '' && (port === 0 || BLOCKED_PORTS.has(port))) {
    fail(
      `uses port ${port}, which Node's fetch refuses to connect to (a blocked port of the Fetch standard)`,
      `run the server on another port (Ollama uses 11434, LM Studio 1234, vLLM 8000) and update ${where.setting}`,
    );
  }
}
