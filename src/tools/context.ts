/**
 * What every tool needs, whoever calls it (the chat agent over the AI SDK, the MCP server over its SDK):
 * the project, its registry and connections, an environment with `.env` loaded into a copy, and the
 * redactor every result passes through before it leaves the process.
 */
import type { ConnectionsConfig } from '../connections/config.js';
import type { Redactor } from '../observability/redact.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';

export interface ToolContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  project: ProjectConfig;
  registry: Registry;
  connections: ConnectionsConfig | undefined;
  redactor: Redactor;
}

export interface OpenToolContextOptions {
  cwd: string;
  /** Copied; `.env` files are loaded into the copy. */
  env: NodeJS.ProcessEnv;
  configFile?: string;
  /** More values to mask wherever they appear (e.g. the MCP bearer token). */
  extraSecrets?: string[];
}

export async function openToolContext(options: OpenToolContextOptions): Promise<ToolContext> {
  const [
    { loadProjectConfig },
    { loadDotEnv },
    { loadRegistry },
    { loadConnectionsConfig, findConnectionsFile },
    { agentRedactor },
  ] = await Promise.all([
    import('../project/config.js'),
    import('../connections/env.js'),
    import('../registry/load.js'),
    import('../connections/config.js'),
    import('../agent/redaction.js'),
  ]);
  const { cwd } = options;
  const env: NodeJS.ProcessEnv = { ...options.env };
  const project = loadProjectConfig({
    cwd,
    env,
    ...(options.configFile ? { configFile: options.configFile } : {}),
  });
  loadDotEnv({ cwd, env, projectRoot: project.root });
  const registry = loadRegistry({ projectRoot: project.root });
  const connections = findConnectionsFile({ cwd, env, projectRoot: project.root })
    ? loadConnectionsConfig({ cwd, env, projectRoot: project.root }).config
    : undefined;
  const redactor = await agentRedactor({ env, registry, connections });
  if (options.extraSecrets?.length) redactor.addSecrets({ secretValues: options.extraSecrets });
  return { cwd, env, project, registry, connections, redactor };
}
