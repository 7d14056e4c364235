// The shadow marker (`x-shadowdiff-shadow: 1`, added by the filter in shadow role) turns v2's
// order create into a dry run: the same answer, nothing stored. v1 never gets mirrored copies
// and ignores the marker, but must still answer.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VERIFIED_USER_ID_HEADER } from '../../envoy/verifiedIdentity.js';
import { SHADOW_MARKER_HEADER } from '../../examples/orders/orderRoutes.js';
import { ask, buildVersionPair, closeVersionPair, differingFields, type VersionPair } from './versionPair.js';

const create = (clientOrderRef: string, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/orders',
  headers: { [VERIFIED_USER_ID_HEADER]: 'user-0042', ...headers },
  payload: { clientOrderRef, items: [{ sku: 'SKU-1002', quantity: 3 }] },
});

// Fresh stores for every test: the assertions count writes.
let pair: VersionPair;
beforeEach(() => {
  pair = buildVersionPair();
});
afterEach(() => closeVersionPair(pair));

describe('v2 and the shadow marker', () => {
  it('a marked create is answered as if stored, and stores nothing', async () => {
    const answer = await ask(pair.v2, create('cart-7', { [SHADOW_MARKER_HEADER]: '1' }));
    expect(answer.status).toBe(201);
    const id = JSON.parse(answer.fields.get('$.id') ?? 'null');
    expect(id).toMatch(/^ord-[0-9a-f]{12}$/);
    expect(pair.v2.store.writes).toEqual([]);
    expect(pair.v2.store.orders.has(id)).toBe(false);
  });

  it('an unmarked create is stored', async () => {
    const answer = await ask(pair.v2, create('cart-7'));
    expect(answer.status).toBe(201);
    const id = JSON.parse(answer.fields.get('$.id') ?? 'null');
    expect(pair.v2.store.writes).toEqual([{ kind: 'order-created', orderId: id }]);
    expect(pair.v2.store.orders.get(id)?.lines).toEqual([{ sku: 'SKU-1002', quantity: 3 }]);
  });

  it('the marked and the unmarked answers are the same (but for noise), id included', async () => {
    const marked = await ask(pair.v2, create('cart-8', { [SHADOW_MARKER_HEADER]: '1' }));
    const unmarked = await ask(pair.v2, create('cart-8'));
    expect(differingFields(marked.fields, unmarked.fields)).toEqual([]);
    expect(marked.fields.get('$.id')).toBe(unmarked.fields.get('$.id'));
  });
});

describe('v1 and the shadow marker', () => {
  it('v1 answers a marked create like any other, and stores it', async () => {
    const answer = await ask(pair.v1, create('cart-9', { [SHADOW_MARKER_HEADER]: '1' }));
    expect(answer.status).toBe(201);
    expect(pair.v1.store.writes).toHaveLength(1);
  });
});

describe('primary and mirrored copy', () => {
  it('v1 (primary, unmarked) and v2 (copy, marked) agree on the create, and only v1 stores it', async () => {
    const primary = await ask(pair.v1, create('cart-10'));
    const copy = await ask(pair.v2, create('cart-10', { [SHADOW_MARKER_HEADER]: '1' }));
    expect(differingFields(primary.fields, copy.fields)).toEqual([]);
    expect(pair.v1.store.writes).toHaveLength(1);
    expect(pair.v2.store.writes).toHaveLength(0);
  });
});
