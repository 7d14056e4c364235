// GET /catalog/items/:sku: one catalogue item, or a multi-pack of one (`SKU-1001-B3`).

import type { FastifyInstance } from 'fastify';
import { parseSku } from './catalog.js';
import { HttpError } from './httpError.js';
import { centsToAmount, divideRounded } from './money.js';
import type { OrdersContext } from './ordersContext.js';
import { responseMeta } from './responseNoise.js';
import { getCatalogItemSchema, type CatalogItemParams } from './routeSchemas.js';

export function registerCatalogRoutes(app: FastifyInstance, context: OrdersContext): void {
  app.get<{ Params: CatalogItemParams }>('/catalog/items/:sku', { schema: getCatalogItemSchema }, async (request) => {
    const { sku } = request.params;
    const parsed = parseSku(sku);
    if (parsed === null) throw new HttpError(400, `${sku} is not a SKU (SKU-1234, or SKU-1234-B<2..99> for a multi-pack)`);
    const entry = await context.repository.get(parsed.baseSku);
    if (entry === null) throw new HttpError(404, `no catalogue item ${parsed.baseSku}`);
    const percentPaid = 100 - (parsed.bundleSize > 1 ? context.behaviour.bundleDiscountPercent(parsed.bundleSize) : 0);
    const priceCents = divideRounded(entry.unitPriceCents * parsed.bundleSize * percentPaid, 100, 'half-up');
    return {
      sku,
      baseSku: entry.sku,
      name: entry.name,
      bundleSize: parsed.bundleSize,
      unitPrice: centsToAmount(entry.unitPriceCents),
      price: centsToAmount(priceCents),
      weightKg: (entry.weightGrams * parsed.bundleSize) / 1000,
      meta: responseMeta(),
    };
  });
}
