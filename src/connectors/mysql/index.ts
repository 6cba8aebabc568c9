/** The MySQL/MariaDB family connector: discovery and `connections doctor`. */
import type { FamilyConnector } from '../../discovery/types.js';
import { openMysqlDiscovery } from './discovery.js';
import { doctorMysql } from './doctor.js';

export const connector: FamilyConnector = {
  openDiscovery: openMysqlDiscovery,
  doctor: doctorMysql,
};
