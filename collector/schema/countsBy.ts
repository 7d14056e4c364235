// An object with one count per value of a constant list: the schema of a per-kind tally, and a
// fresh zeroed tally. Both come from the list, so a table cannot lack a value.

import { Type, type TInteger, type TObject, type TSchema } from '@sinclair/typebox';

export type CountsBy<K extends string> = { [P in K]: TInteger };

export function countsBySchema<const K extends readonly string[]>(keys: K): TObject<CountsBy<K[number]>> {
  const properties = Object.fromEntries(keys.map((key) => [key, Type.Integer({ minimum: 0 })])) as CountsBy<K[number]>;
  return Type.Object(properties, { additionalProperties: false });
}

/** One `schema` per value of a list (e.g. a reading per budget part). */
export function eachOfSchema<const K extends readonly string[], S extends TSchema>(keys: K, schema: S): TObject<{ [P in K[number]]: S }> {
  const properties = Object.fromEntries(keys.map((key) => [key, schema])) as { [P in K[number]]: S };
  return Type.Object(properties, { additionalProperties: false });
}

export function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const counts = {} as Record<K, number>;
  for (const key of keys) counts[key] = 0;
  return counts;
}
