// Narrowing parsed YAML/JSON (typed `unknown`) to the shapes the Istio tests read.

import type { JsonObject, JsonValue } from '../../envoy/json.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isJsonValue);
  return isRecord(value) && Object.values(value).every(isJsonValue);
}

/** `value` as a JSON object; throws, naming `what`, when it is anything else. */
export function asJsonObject(value: unknown, what: string): JsonObject {
  if (!isRecord(value) || !isJsonValue(value)) throw new Error(`${what} is not a JSON object`);
  return value;
}
