/**
 * The connections file as a pipeline check sees it: when the project has one, `osiris validate` and
 * `osiris compile` check every `@family.alias` against it (OML048) and report its own errors (a misspelt
 * field, a bad port) when the pipeline uses a connection — the run would refuse the same file.
 */
import { type ConnectionsConfig, readConnectionsConfig } from '../connections/config.js';
import { type Diagnostic, isError } from '../diagnostics/diagnostic.js';
import { isJsonObject, type JsonValue } from '../yaml/json.js';

export interface PipelineConnections {
  /** The parsed file; undefined when there is none or it has errors (its errors are then in `diagnostics`). */
  connections: ConnectionsConfig | undefined;
  /** The file's errors, when the pipeline references a connection. */
  diagnostics: Diagnostic[];
}

/** Whether any step of the (unvalidated) document sets `config.connection`. */
export function usesConnections(value: JsonValue | undefined): boolean {
  const steps = isJsonObject(value) && Array.isArray(value.steps) ? value.steps : [];
  return steps.some((s) => isJsonObject(s) && isJsonObject(s.config) && 'connection' in s.config);
}

export function pipelineConnections(
  value: JsonValue | undefined,
  options: { cwd: string; env: NodeJS.ProcessEnv; projectRoot: string; file?: string },
): PipelineConnections {
  if (!usesConnections(value)) return { connections: undefined, diagnostics: [] };
  const { config, diagnostics } = readConnectionsConfig(options);
  const errors = diagnostics.filter(isError);
  if (config.file === undefined || errors.length > 0) return { connections: undefined, diagnostics: errors };
  return { connections: config, diagnostics: [] };
}
