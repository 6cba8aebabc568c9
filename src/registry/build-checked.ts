/**
 * Built-in specs read from the build's bundle (scripts/copy-assets.mjs), whose configSchema the build already
 * checked against the JSON Schema 2020-12 meta-schema. Step validation skips that check for them: compiling
 * the meta-schema costs ~70 ms on every CLI start.
 */
import type { ComponentSpec } from './types.js';

const checked = new WeakSet<ComponentSpec>();

export function markBuildChecked(spec: ComponentSpec): void {
  checked.add(spec);
}

export function isBuildChecked(spec: ComponentSpec): boolean {
  return checked.has(spec);
}
