/**
 * Steps without `connection`. The Python original resolved the family's default connection for every step
 * of a family that needs one (reference §5.4 step 4); this one does the same for components whose
 * credentials only a connection may provide (an `x-connection-fields` entry with policy `forbidden`), unless
 * the step writes such credentials itself. The compiler records the reference (`@family`) in the manifest and
 * cfg; the validator says so with a warning (OML046).
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
  const credentials = fields.filter((f) => f.override === 'forbidden').map((f) => f.name);
  if (credentials.length === 0) return undefined;
  if (credentials.some((name) => config !== undefined && name in config)) return undefined;
  const dot = component.indexOf('.');
  return dot > 0 ? `@${component.slice(0, dot)}` : undefined;
}
