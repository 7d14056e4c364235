// What the routes of one service instance share: its version's behaviour, its state, and its
// catalogue cache.

import type { CatalogRepository } from './catalogRepository.js';
import type { OrdersStore } from './ordersStore.js';
import type { VersionBehaviour } from './versionBehaviour.js';

export interface OrdersContext {
  behaviour: VersionBehaviour;
  store: OrdersStore;
  repository: CatalogRepository;
}
