/**
 * The GraphQL family connector: `connections doctor` only. A GraphQL API has no tables to discover; the
 * schema is the query's business.
 */
import { OsirisError } from '../../diagnostics/diagnostic.js';
import type { FamilyConnector } from '../../discovery/types.js';
import { doctorGraphQL } from './doctor.js';

export const connector: FamilyConnector = {
  openDiscovery: async (connection) => {
    throw OsirisError.of(
      'CON060',
      `connection @${connection.family}.${connection.alias} is a GraphQL API: discovery lists database tables and has nothing to read there`,
      {},
      {
        hint: 'write the query in a graphql.extractor step; check the connection with `osiris connections doctor`',
      },
    );
  },
  doctor: doctorGraphQL,
};
