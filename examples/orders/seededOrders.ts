// Orders that exist in every instance from the start, so reads can be mirrored without depending
// on earlier writes (a copy of a create never stores anything at the shadow). Only ord-1007 holds
// catalogue cache misses; the others are best sellers only.

import type { OrderLine } from './orderPricing.js';

export interface StoredOrder {
  id: string;
  customerId: string;
  lines: OrderLine[];
}

const line = (sku: string, quantity: number): OrderLine => ({ sku, quantity });

export const SEEDED_ORDERS: readonly StoredOrder[] = [
  { id: 'ord-1001', customerId: 'user-0001', lines: [line('SKU-1001', 2), line('SKU-1002', 1)] },
  { id: 'ord-1002', customerId: 'user-0002', lines: [line('SKU-1003', 1), line('SKU-1006', 2)] },
  { id: 'ord-1003', customerId: 'user-0003', lines: [line('SKU-1004', 1)] },
  { id: 'ord-1004', customerId: 'user-0004', lines: [line('SKU-1005', 1), line('SKU-1012', 3)] },
  { id: 'ord-1005', customerId: 'user-0005', lines: [line('SKU-1007', 1), line('SKU-1008', 1), line('SKU-1009', 2)] },
  { id: 'ord-1006', customerId: 'user-0006', lines: [line('SKU-1010', 1), line('SKU-1011', 1)] },
  {
    id: 'ord-1007',
    customerId: 'user-0007',
    lines: ['SKU-1013', 'SKU-1014', 'SKU-1015', 'SKU-1016', 'SKU-1017', 'SKU-1018'].map((sku) => line(sku, 1)),
  },
  { id: 'ord-1008', customerId: 'user-0008', lines: [line('SKU-1001', 1), line('SKU-1008', 1), line('SKU-1004', 1)] },
  { id: 'ord-1009', customerId: 'user-0009', lines: [line('SKU-1002', 4), line('SKU-1012', 2)] },
  { id: 'ord-1010', customerId: 'user-0010', lines: [line('SKU-1008', 2), line('SKU-1006', 1)] },
  { id: 'ord-1011', customerId: 'user-0011', lines: [line('SKU-1009', 1), line('SKU-1003', 1)] },
  { id: 'ord-1012', customerId: 'user-0012', lines: [line('SKU-1011', 2), line('SKU-1007', 1)] },
];
