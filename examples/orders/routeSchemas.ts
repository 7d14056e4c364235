// Request and response schemas of the order service's routes, with the TypeScript shapes they
// validate. Both versions share them: a response shape never differs between versions, only values.

import { PLAIN_SKU_PATTERN } from './catalog.js';
import { CURRENCIES, type Currency } from './currencies.js';

const ORDER_ID_PATTERN = '^ord-[0-9a-f]{4,16}$';
const MAX_REDEEM_POINTS = 1_000_000;

const meta = {
  type: 'object',
  required: ['generatedAt', 'requestTraceId'],
  properties: { generatedAt: { type: 'string' }, requestTraceId: { type: 'string' } },
} as const;

const orderBody = {
  type: 'object',
  required: ['id', 'customerId', 'items', 'totals', 'meta'],
  properties: {
    id: { type: 'string' },
    customerId: { type: 'string' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sku', 'name', 'quantity', 'unitPrice', 'lineTotal', 'traceId'],
        properties: {
          sku: { type: 'string' },
          name: { type: 'string' },
          quantity: { type: 'integer' },
          unitPrice: { type: 'number' },
          lineTotal: { type: 'number' },
          traceId: { type: 'string' },
        },
      },
    },
    totals: {
      type: 'object',
      required: ['currency', 'subtotal', 'discount', 'tax', 'total', 'convertedCurrency', 'converted'],
      properties: {
        currency: { type: 'string' },
        subtotal: { type: 'number' },
        discount: { type: 'number' },
        tax: { type: 'number' },
        total: { type: 'number' },
        convertedCurrency: { type: 'string' },
        converted: { type: 'number' },
      },
    },
    meta,
  },
} as const;

const pricingQuery = {
  currency: { type: 'string', enum: CURRENCIES, default: 'EUR' },
  redeemPoints: { type: 'integer', minimum: 0, maximum: MAX_REDEEM_POINTS, default: 0 },
} as const;

const orderIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: ORDER_ID_PATTERN } },
} as const;

export interface OrderIdParams {
  id: string;
}

export interface PricingQuery {
  currency: Currency;
  redeemPoints: number;
}

export const getOrderSchema = {
  params: orderIdParams,
  querystring: { type: 'object', additionalProperties: false, properties: pricingQuery },
  response: { 200: orderBody },
} as const;

export interface ShippingQuery {
  country: string;
}

export const getShippingSchema = {
  params: orderIdParams,
  querystring: {
    type: 'object',
    required: ['country'],
    additionalProperties: false,
    properties: { country: { type: 'string', pattern: '^[A-Z]{2}$' } },
  },
  response: {
    200: {
      type: 'object',
      required: ['orderId', 'country', 'zone', 'weightKg', 'charge', 'currency', 'meta'],
      properties: {
        orderId: { type: 'string' },
        country: { type: 'string' },
        zone: { type: 'string' },
        weightKg: { type: 'number' },
        charge: { type: 'number' },
        currency: { type: 'string' },
        meta,
      },
    },
  },
} as const;

export interface CreateOrderBody {
  clientOrderRef: string;
  items: Array<{ sku: string; quantity: number }>;
  currency: Currency;
  redeemPoints: number;
}

export const createOrderSchema = {
  body: {
    type: 'object',
    required: ['clientOrderRef', 'items'],
    additionalProperties: false,
    properties: {
      // The client's own reference: with the customer it names the order, so a retried create
      // (or its mirrored copy) gets the same id.
      clientOrderRef: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      items: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        items: {
          type: 'object',
          required: ['sku', 'quantity'],
          additionalProperties: false,
          properties: {
            sku: { type: 'string', pattern: PLAIN_SKU_PATTERN },
            quantity: { type: 'integer', minimum: 1, maximum: 99 },
          },
        },
      },
      ...pricingQuery,
    },
  },
  response: { 201: orderBody },
} as const;

export interface CatalogItemParams {
  sku: string;
}

export const getCatalogItemSchema = {
  params: {
    type: 'object',
    required: ['sku'],
    additionalProperties: false,
    properties: { sku: { type: 'string', maxLength: 32 } },
  },
  response: {
    200: {
      type: 'object',
      required: ['sku', 'baseSku', 'name', 'bundleSize', 'unitPrice', 'price', 'weightKg', 'meta'],
      properties: {
        sku: { type: 'string' },
        baseSku: { type: 'string' },
        name: { type: 'string' },
        bundleSize: { type: 'integer' },
        unitPrice: { type: 'number' },
        price: { type: 'number' },
        weightKg: { type: 'number' },
        meta,
      },
    },
  },
} as const;
