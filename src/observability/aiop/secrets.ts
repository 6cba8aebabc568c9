/**
 * The redactor an export uses when it runs outside the run (`osiris logs aiop`): the registry's secret key
 * names plus every secret value the project's connections resolve to (so a secret a driver leaked into an
 * event in some unrecognisable shape is still caught by value). Best effort: a connections file that does
 * not parse or a variable that is not set just contributes nothing.
 */
import { readConnectionsConfig } from '../../connections/config.js';
import { tokenizeEnvRefs } from '../../connections/env.js';
import { connectionSecretKeys } from '../../connections/mask.js';
import type { Registry } from '../../registry/registry.js';
import { isJsonObject, type JsonValue } from '../../yaml/json.js';
import { createRedactor, type Redactor } from '../redact.js';

/** `${VAR}` / `${VAR:-default}` expanded without throwing (unset → empty). */
function expand(value: string, env: NodeJS.ProcessEnv): string {
  let out = '';
  for (const t of tokenizeEnvRefs(value)) {
    if (t.kind === 'text') out += t.text;
    else if (t.kind === 'ref') out += env[t.name] ?? t.default ?? '';
  }
  return out;
}

function strings(value: JsonValue | undefined): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (isJsonObject(value)) return Object.values(value).flatMap(strings);
  return [];
}

/** Passwords inside URL userinfo (`scheme://user:PASS@host`), decoded. */
function urlPasswords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:([^\s@/]+)@/gi)) {
    const raw = m[1] as string;
    out.push(raw);
    try {
      out.push(decodeURIComponent(raw));
    } catch {
      // not percent-encoded
    }
  }
  return out;
}

export interface ConnectionSecretsOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  projectRoot: string;
  registry?: Registry;
  /** Decides which keys hold secrets (besides the registry's per-family keys). */
  isSecretKey: (key: string) => boolean;
}

/** Every secret value the project's connections hold once `${VAR}` references are expanded. */
export function connectionSecretValues(options: ConnectionSecretsOptions): string[] {
  let config: ReturnType<typeof readConnectionsConfig>['config'];
  try {
    config = readConnectionsConfig({
      cwd: options.cwd,
      env: options.env,
      projectRoot: options.projectRoot,
    }).config;
  } catch {
    return [];
  }
  const out = new Set<string>();
  for (const family of config.families) {
    const familyKeys = new Set(connectionSecretKeys(family.name, options.registry));
    for (const alias of family.aliases) {
      for (const [key, value] of Object.entries(alias.fields)) {
        const secret = familyKeys.has(key) || options.isSecretKey(key);
        for (const raw of strings(value)) {
          const text = raw.includes('${') ? expand(raw, options.env) : raw;
          if (secret && text) out.add(text);
          for (const p of urlPasswords(text)) out.add(p);
        }
      }
    }
  }
  return [...out].sort();
}

export interface ExportRedactorOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  projectRoot: string;
  registry?: Registry;
  /** Start from this redactor (e.g. the run's own, which already knows the secrets the run resolved). */
  base?: Redactor;
}

export function exportRedactor(options: ExportRedactorOptions): Redactor {
  const redactor = options.base ?? createRedactor({ secretKeys: options.registry?.allSecretKeys() ?? [] });
  const secretValues = connectionSecretValues({
    cwd: options.cwd,
    env: options.env,
    projectRoot: options.projectRoot,
    isSecretKey: (k) => redactor.isSecretKey(k),
    ...(options.registry ? { registry: options.registry } : {}),
  });
  redactor.addSecrets({ secretValues });
  return redactor;
}
