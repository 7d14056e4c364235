// One service instance's state: its orders, a log of every write it made, and its catalogue
// database. The write log is how a test (or a demo) proves that a mirrored create stored nothing.

import { CatalogDatabase, DEFAULT_CATALOG_LATENCY_MS } from './catalogDatabase.js';
import { SEEDED_ORDERS, type StoredOrder } from './seededOrders.js';

export interface OrderWrite {
  kind: 'order-created';
  orderId: string;
}

export interface OrdersStoreOptions {
  /** Latency of one catalogue database round trip; default DEFAULT_CATALOG_LATENCY_MS. */
  catalogLatencyMs?: number;
}

export class OrdersStore {
  readonly orders = new Map<string, StoredOrder>(SEEDED_ORDERS.map((order) => [order.id, structuredClone(order)]));
  readonly writes: OrderWrite[] = [];
  readonly catalog: CatalogDatabase;

  constructor(options: OrdersStoreOptions = {}) {
    this.catalog = new CatalogDatabase(options.catalogLatencyMs ?? DEFAULT_CATALOG_LATENCY_MS);
  }

  saveOrder(order: StoredOrder): void {
    this.orders.set(order.id, order);
    this.writes.push({ kind: 'order-created', orderId: order.id });
  }
}
