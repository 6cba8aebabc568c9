/**
 * Steps without `connection`. The Python original resolved the family's default connection for every step
 * of a family that needs one (reference §5.4 step 4); this one does the same for components whose
 * credentials only a connection may provide (an `x-connection-fields` entry with policy `forbidden`), unless
 * the step writes any connection field itself (a graphql step with its own public `endpoint`, a step with
 * inline host and user): the original also defaulted those, and failed when the family had no connection.
 * The compiler records the reference (`@family`) in the manifest and cfg; the validator says so (OML050).
 */
import type { Registry } from '../registry/registry.js';
import type { JsonObject } from '../yaml/json.js';

/** `@family` when the step runs on its family's default connection, else undefined. */
export function defaultConnectionRef(
  component: string,
  config: JsonObject | undefined,
  registry: Registry,
): string | undefined {
  if (config && 'connection' in config) return undefined;
  const fields = registry.connectionFields(component);
  if (!fields.some((f) => f.override === 'forbidden')) return undefined;
  // A step that names its own target (host, endpoint, credentials, …) runs on what it wrote.
  if (fields.some((f) => config !== undefined && f.name in config)) return undefined;
  const dot = component.indexOf('.');
  return dot > 0 ? `@${component.slice(0, dot)}` : undefined;
}
