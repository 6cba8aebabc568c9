/**
 * The `e2b` execution target: the worker runs in an E2B cloud sandbox, created with the official `e2b` SDK
 * (docs/reference/targets.md#e2b, ADR 0022). Options are checked before the run starts; the SDK is loaded
 * only when the target is used.
 */
import type { TargetFactory } from '../index.js';
import { e2bFlagsOf, resolveE2bOptions } from './options.js';

export const e2bTarget: TargetFactory = {
  description: 'an E2B cloud sandbox via the official e2b SDK (needs E2B_API_KEY)',
  // Options synchronously; the key with one API call, so a rejected key is exit 2 before any run record.
  check: (ctx) => {
    const options = resolveE2bOptions(e2bFlagsOf(ctx.options), ctx.env);
    return import('./sandbox.js').then((m) => m.checkApiKey(options));
  },
  create: async (ctx) => {
    const { e2bTransport } = await import('./transport.js');
    return e2bTransport(resolveE2bOptions(e2bFlagsOf(ctx.options), ctx.env), ctx.signal);
  },
};
