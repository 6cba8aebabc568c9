/**
 * The PostgreSQL family connector (discovery and `connections doctor`). It also serves `supabase`
 * connections: over the Postgres protocol when they carry pg_dsn or host/…, else (doctor only) over the REST
 * API.
 */
import type { FamilyConnector } from '../../discovery/types.js';
import { openPostgresDiscovery } from './discovery.js';
import { doctorPostgres } from './doctor.js';

export const connector: FamilyConnector = {
  openDiscovery: openPostgresDiscovery,
  doctor: doctorPostgres,
};
