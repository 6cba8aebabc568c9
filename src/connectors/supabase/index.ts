/**
 * The Supabase family connector. Supabase is PostgreSQL: with database credentials (pg_dsn, direct or
 * pooler, or host/port/database/user/password) discovery and doctor go through the Postgres connector; a
 * connection with only `url` + key is checked over the REST API (doctor) and cannot be discovered.
 */
import type { FamilyConnector } from '../../discovery/types.js';
import { openPostgresDiscovery } from '../postgres/discovery.js';
import { doctorPostgres } from '../postgres/doctor.js';

export const connector: FamilyConnector = {
  openDiscovery: openPostgresDiscovery,
  doctor: doctorPostgres,
};
