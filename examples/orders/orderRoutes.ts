// The order routes: a priced order (GET /orders/:id), its shipping quote
// (GET /orders/:id/shipping), and order creation (POST /orders), the one write.

import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { CatalogEntry } from './catalog.js';
import { HttpError } from './httpError.js';
import { centsToAmount } from './money.js';
import type { OrdersContext } from './ordersContext.js';
import { priceOrder, type OrderLine, type PricedOrder } from './orderPricing.js';
import { lineTraceId, responseMeta } from './responseNoise.js';
import {
  createOrderSchema,
  getOrderSchema,
  getShippingSchema,
  type CreateOrderBody,
  type OrderIdParams,
  type PricingQuery,
  type ShippingQuery,
} from './routeSchemas.js';
import { VERIFIED_USER_ID_HEADER } from '../../envoy/verifiedIdentity.js';
import { quoteShipping } from './shippingQuote.js';
import type { StoredOrder } from './seededOrders.js';

/** Added by the shadowdiff filter (shadow role) to mirrored copies: answer, but change nothing. */
export const SHADOW_MARKER_HEADER = 'x-shadowdiff-shadow';
/** The caller, as the edge identifies users (from a verified token) and samples them. */
const USER_ID_HEADER = VERIFIED_USER_ID_HEADER;
const ANONYMOUS_CUSTOMER = 'anonymous';

export function registerOrderRoutes(app: FastifyInstance, context: OrdersContext): void {
  app.get<{ Params: OrderIdParams; Querystring: PricingQuery }>('/orders/:id', { schema: getOrderSchema }, async (request) => {
    const order = findOrder(context, request.params.id);
    const lines = await withEntries(context, order.lines);
    return orderResponse(order, priceOrder({ lines, ...request.query }, context.behaviour));
  });

  app.get<{ Params: OrderIdParams; Querystring: ShippingQuery }>('/orders/:id/shipping', { schema: getShippingSchema }, async (request) => {
    const order = findOrder(context, request.params.id);
    const { country } = request.query;
    const quote = quoteShipping(await withEntries(context, order.lines), country, context.behaviour);
    return {
      orderId: order.id,
      country,
      zone: quote.zone,
      weightKg: quote.weightGrams / 1000,
      charge: centsToAmount(quote.chargeCents),
      currency: 'EUR',
      meta: responseMeta(),
    };
  });

  app.post<{ Body: CreateOrderBody }>('/orders', { schema: createOrderSchema }, async (request, reply) => {
    const { clientOrderRef, items, currency, redeemPoints } = request.body;
    const userId = request.headers[USER_ID_HEADER];
    const customerId = typeof userId === 'string' && userId !== '' ? userId : ANONYMOUS_CUSTOMER;
    const order: StoredOrder = { id: orderIdFor(customerId, clientOrderRef), customerId, lines: items };
    const priced = priceOrder({ lines: await withEntries(context, order.lines), currency, redeemPoints }, context.behaviour);
    const mirroredCopy = request.headers[SHADOW_MARKER_HEADER] === '1';
    if (!(mirroredCopy && context.behaviour.honoursShadowMarker)) context.store.saveOrder(order);
    return reply.code(201).send(orderResponse(order, priced));
  });
}

function findOrder(context: OrdersContext, id: string): StoredOrder {
  const order = context.store.orders.get(id);
  if (order === undefined) throw new HttpError(404, `no order ${id}`);
  return order;
}

/** Each line with its catalogue entry, read the way this version reads the catalogue. */
async function withEntries(context: OrdersContext, lines: readonly OrderLine[]): Promise<Array<{ entry: CatalogEntry; quantity: number }>> {
  const entries = await context.behaviour.loadEntries(
    context.repository,
    lines.map((line) => line.sku),
  );
  const bySku = new Map(entries.map((entry) => [entry.sku, entry]));
  return lines.map((line) => {
    const entry = bySku.get(line.sku);
    if (entry === undefined) throw new HttpError(400, `no catalogue item ${line.sku}`);
    return { entry, quantity: line.quantity };
  });
}

/** Derived from the request, not from a counter, so the primary and a mirrored copy agree. */
function orderIdFor(customerId: string, clientOrderRef: string): string {
  return `ord-${createHash('sha256').update(`${customerId}\n${clientOrderRef}`).digest('hex').slice(0, 12)}`;
}

function orderResponse(order: StoredOrder, priced: PricedOrder) {
  return {
    id: order.id,
    customerId: order.customerId,
    items: priced.lines.map((line) => ({ ...line, traceId: lineTraceId() })),
    totals: priced.totals,
    meta: responseMeta(),
  };
}
