/** The typed shape of an OML v0.1.0 document, as the compiler sees it after validation. */
import type { OmlMode } from '../registry/types.js';
import type { JsonObject, JsonValue } from '../yaml/json.js';

export type { OmlMode };

export interface OmlStep {
  /** Unique, `^[A-Za-z0-9][A-Za-z0-9_-]*$`: it names `cfg/<id>.json` and the step's DuckDB table. */
  id: string;
  /** Registry name, e.g. `duckdb.processor`. */
  component: string;
  mode: OmlMode;
  /** Explicit upstream step ids. Absent (with `inputs` absent too) means "the previous step". */
  needs?: string[];
  /** Named upstream outputs: `{ <name>: "${<step>.df}" }`. Each ref is also a dependency. */
  inputs?: Record<string, string>;
  config?: JsonObject;
  /** Retry policy of a read or write step (runtime/retry/policy.ts): `false` or `{attempts, backoff}`. */
  retry?: JsonValue;
}

export interface OmlDocument {
  oml_version: string;
  name: string;
  description?: string;
  metadata?: JsonObject;
  params?: JsonObject;
  profiles?: JsonObject;
  steps: OmlStep[];
}

/** The only OML version this implementation understands. */
export const OML_VERSION = '0.1.0';
