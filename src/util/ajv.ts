/**
 * Ajv (JSON Schema 2020-12), required on first use rather than imported: a CLI run that only needs the build's
 * precompiled validators never loads it (~45 ms of every start).
 */
import { createRequire } from 'node:module';
import type { Ajv2020, Options } from 'ajv/dist/2020.js';

export function newAjv(options: Options): Ajv2020 {
  const ajv = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  return new ajv.Ajv2020(options);
}
