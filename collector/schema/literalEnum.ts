// A string enumeration as JSON Schema `enum`, typed as the union of its constant list, so the
// list is the one definition of the values (and ajv's error names them: must be one of [...]).

import { Type, type TUnsafe } from '@sinclair/typebox';

export function literalEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ enum: [...values], ...options });
}
