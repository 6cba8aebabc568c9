/**
 * Family name → its connector (discovery and `connections doctor`), loaded lazily so that commands which
 * never touch a database never load a driver. `supabase` has its own entry point (Postgres protocol, or the
 * REST API for doctor when only url + key are given).
 */
import { OsirisError } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { FamilyConnector } from '../discovery/types.js';

/** Looks a family's connector up; `undefined` when the family has none. Injectable in tests. */
export type ConnectorLookup = (family: string) => Promise<FamilyConnector | undefined>;

interface ConnectorModule {
  connector?: unknown;
}

const LOADERS: Record<string, () => Promise<ConnectorModule>> = {
  graphql: () => import('./graphql/index.js'),
  mysql: () => import('./mysql/index.js'),
  postgres: () => import('./postgres/index.js'),
  supabase: () => import('./supabase/index.js'),
};

/** Families whose connector only answers `connections doctor` (nothing to discover). */
const DOCTOR_ONLY = new Set(['graphql']);

/** Families that have a database connector (discovery and doctor), sorted. */
export const SUPPORTED_FAMILIES: readonly string[] = Object.keys(LOADERS)
  .filter((f) => !DOCTOR_ONLY.has(f))
  .sort();

export function hasConnector(family: string): boolean {
  return Object.hasOwn(LOADERS, family);
}

function isFamilyConnector(value: unknown): value is FamilyConnector {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.openDiscovery === 'function' && typeof c.doctor === 'function';
}

/** The connector of `family`, or `undefined` when the family has none (filesystem, duckdb, …). */
export const findConnector: ConnectorLookup = async (family) => {
  const load = Object.hasOwn(LOADERS, family) ? LOADERS[family] : undefined;
  if (!load) return undefined;
  const mod = await load();
  if (!isFamilyConnector(mod.connector)) {
    throw new Error(`the '${family}' connector module does not export a valid 'connector'`);
  }
  return mod.connector;
};

/** The connector of `family`; throws CON060 naming the supported families when it has none. */
export async function loadConnector(
  family: string,
  lookup: ConnectorLookup = findConnector,
): Promise<FamilyConnector> {
  const connector = await lookup(family);
  if (connector) return connector;
  throw unsupportedFamily(family);
}

/** CON060: `family` has no database connector (discovery and doctor need one). */
export function unsupportedFamily(family: string): OsirisError {
  const suggestion = didYouMean(family, SUPPORTED_FAMILIES);
  return OsirisError.of(
    'CON060',
    `connection family '${family}' has no database connector (supported: ${SUPPORTED_FAMILIES.join(', ')})`,
    {},
    {
      hint: suggestion ?? `discovery works with ${SUPPORTED_FAMILIES.join(', ')} connections`,
    },
  );
}
