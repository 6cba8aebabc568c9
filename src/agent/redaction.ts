/**
 * The chat agent's redactor: the shared policy (src/observability/redact.ts) taught every secret the project
 * could hand it — resolved connection passwords and DSNs, and the LLM API key itself — so prompts, tool
 * results, transcripts and errors can be passed through it before they leave the process or hit the disk.
 */
import type { ConnectionsConfig } from '../connections/config.js';
import { connectionSecretValues } from '../discovery/discover.js';
import { createRedactor, type Redactor } from '../observability/redact.js';
import type { Registry } from '../registry/registry.js';
import { KEY_VARIABLES } from './llm-config.js';

export async function agentRedactor(options: {
  env: NodeJS.ProcessEnv;
  registry: Registry;
  connections: ConnectionsConfig | undefined;
}): Promise<Redactor> {
  const { resolveConnection } = await import('../connections/resolve.js');
  const redactor = createRedactor({ secretKeys: options.registry.allSecretKeys() });
  const values: string[] = [];
  for (const family of options.connections?.families ?? []) {
    for (const entry of family.aliases) {
      try {
        const connection = resolveConnection(`@${family.name}.${entry.alias}`, {
          connections: options.connections as ConnectionsConfig,
          env: options.env,
        });
        values.push(...connectionSecretValues(connection, redactor.isSecretKey));
      } catch {
        // A connection that cannot be resolved (missing variable) has no secret value to leak.
      }
    }
  }
  for (const names of Object.values(KEY_VARIABLES)) {
    for (const name of names) {
      const value = options.env[name];
      if (value) values.push(value);
    }
  }
  redactor.addSecrets({ secretValues: values });
  return redactor;
}
