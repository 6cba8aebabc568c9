/**
 * zod, loaded on first use. Loading it costs ~55 ms (about 95 modules) of a ~60 ms Node start, so the
 * project config and manifest readers check the common, valid case by hand and call this only to word an
 * error (src/project/config.ts, src/compiler/manifest.ts). zod ships CommonJS too, so `require` loads it
 * synchronously and the readers stay synchronous.
 */
import { createRequire } from 'node:module';

let loaded: typeof import('zod') | undefined;

export function lazyZod(): typeof import('zod') {
  loaded ??= createRequire(import.meta.url)('zod') as typeof import('zod');
  return loaded;
}
