/**
 * Loads `pg` for the Postgres connectors. pg decides when it loads whether it runs in Cloudflare Workers:
 * without a global `navigator` (Node 20 has none; Node ≥ 21 does) it probes by creating a `Response`, which
 * makes Node load its whole fetch implementation (undici, ~15 ms of CPU) that nothing here uses. A `navigator`
 * naming Node answers the probe first; it exists only while pg loads. `require`, not `import`: pg is
 * CommonJS, and an ESM import pre-parses it for export names too.
 */
import { createRequire } from 'node:module';
import type Pg from 'pg';

let loaded: typeof Pg | undefined;

export function loadPg(): typeof Pg {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const addNavigator = !('navigator' in globalThis);
  if (addNavigator)
    Object.defineProperty(globalThis, 'navigator', {
      value: { userAgent: `Node.js/${process.versions.node}` },
      configurable: true,
    });
  try {
    loaded = require('pg') as typeof Pg;
  } finally {
    if (addNavigator) Reflect.deleteProperty(globalThis, 'navigator');
  }
  return loaded;
}
