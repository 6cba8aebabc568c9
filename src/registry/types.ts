import type { JsonObject, JsonValue } from '../yaml/json.js';

/** Modes a component can declare. OML modes map onto these: read→extract, write→write, transform→transform. */
export type ComponentMode = 'extract' | 'write' | 'load' | 'transform' | 'discover' | 'analyze' | 'stream';
export type OmlMode = 'read' | 'write' | 'transform';

export type OverridePolicy = 'allowed' | 'forbidden' | 'warning';

export interface ConnectionField {
  name: string;
  override: OverridePolicy;
}

export interface ComponentSpec {
  name: string;
  version: string;
  title?: string;
  description?: string;
  modes: ComponentMode[];
  capabilities: Record<string, boolean>;
  configSchema: JsonObject & { properties: Record<string, JsonObject>; required?: string[] };
  secrets?: string[];
  'x-secret'?: string[];
  redaction?: { strategy?: 'mask' | 'drop' | 'hash'; mask?: string; extras?: string[] };
  'x-connection-fields'?: Array<string | { name: string; override?: OverridePolicy }>;
  examples?: Array<{ title: string; config: JsonObject; omlSnippet?: string; notes?: string }>;
  llmHints?: JsonObject;
  'x-runtime'?: {
    driver?: string;
    requirements?: JsonObject;
    serialReader?: boolean;
    fuse?: 'source' | 'transform' | 'sink';
  };
  [key: string]: JsonValue | undefined;
}

export interface LoadedComponent {
  spec: ComponentSpec;
  /** Absolute path of spec.yaml (or spec.json). */
  specPath: string;
  /** Exact file contents: the registry fingerprint is computed from these bytes. */
  specText: string;
  /** Absolute path of the driver module beside the spec, or undefined when none exists yet. */
  driverPath: string | undefined;
  /**
   * A project component's `driver.ts` (no driver.js / driver.mjs beside it): Node cannot import TypeScript,
   * so the component is not runnable and validate/compile say how to fix it (REG014).
   */
  typescriptDriver?: string;
}
