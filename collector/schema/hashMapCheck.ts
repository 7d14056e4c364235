// A one-pass check of a name -> hash map against the keywords of its JSON Schema (the wire
// schema's `fields` and `headers`): what ajv checks, in one loop over the entries. ajv's code for
// such a map enumerates it three times and keeps error state per entry; for a leg of 200 fields
// that was most of the time a stored leg took to check. The check only ever answers "passes": a
// map it does not pass goes to ajv, which decides and names the entry, so the answers and their
// messages are ajv's. It is derived from the schema object itself, and refuses at start-up a
// schema with a keyword it does not know, so a keyword added to the schema cannot be skipped.

/** The subset of JSON Schema a hash map uses (wireSchema.ts `hashMap`). */
const MAP_KEYWORDS = new Set(['type', 'maxProperties', 'propertyNames', 'additionalProperties', 'description']);
const NAME_KEYWORDS = new Set(['minLength', 'maxLength', 'pattern']);
const VALUE_KEYWORDS = new Set(['type', 'pattern', 'description']);

type SchemaObject = Record<string, unknown>;

/**
 * `schema`: the map's schema; `definitions`: where its value's `$ref` (#/definitions/…) resolves.
 * Answers a predicate that is true only for maps that match the schema (false: ask ajv).
 */
export function hashMapCheck(schema: SchemaObject, definitions: Record<string, unknown>): (map: unknown) => boolean {
  expectKeywords('map', schema, MAP_KEYWORDS);
  if (schema.type !== 'object') throw new Error(`hashMapCheck: the map's type must be "object", not ${JSON.stringify(schema.type)}`);
  const names = (schema.propertyNames ?? {}) as SchemaObject;
  expectKeywords('propertyNames', names, NAME_KEYWORDS);
  const valueRef = (schema.additionalProperties as SchemaObject | undefined)?.$ref;
  const definition = typeof valueRef === 'string' ? definitions[valueRef.replace(/^#\/definitions\//, '')] : undefined;
  if (definition === undefined)
    throw new Error(`hashMapCheck: the map's values must be a $ref into definitions, not ${JSON.stringify(valueRef)}`);
  const value = definition as SchemaObject;
  expectKeywords('value', value, VALUE_KEYWORDS);
  if (value.type !== 'string') throw new Error(`hashMapCheck: the map's values must be strings, not ${JSON.stringify(value.type)}`);

  const maxEntries = (schema.maxProperties as number | undefined) ?? Number.POSITIVE_INFINITY;
  const minName = (names.minLength as number | undefined) ?? 0;
  const maxName = (names.maxLength as number | undefined) ?? Number.POSITIVE_INFINITY;
  // ajv compiles patterns with the `u` flag (its default unicodeRegExp).
  const namePattern = typeof names.pattern === 'string' ? new RegExp(names.pattern, 'u') : null;
  const valuePattern = typeof value.pattern === 'string' ? new RegExp(value.pattern, 'u') : null;
  return (map) => {
    if (typeof map !== 'object' || map === null || Array.isArray(map)) return false;
    let entries = 0;
    for (const name in map) {
      if (++entries > maxEntries) return false;
      if (!surelyWithinLength(name, minName, maxName)) return false;
      if (namePattern !== null && !namePattern.test(name)) return false;
      const hash = (map as Record<string, unknown>)[name];
      if (typeof hash !== 'string' || (valuePattern !== null && !valuePattern.test(hash))) return false;
    }
    return true;
  };
}

/**
 * Whether a string's length in code points (what ajv's minLength and maxLength count) is surely
 * within [min, max] given its UTF-16 units, which are at least its code points and at most twice
 * them: past the bound in units may still be within it (false: ajv decides), and code points are
 * counted only when half the units could fall short of the minimum.
 */
export function surelyWithinLength(text: string, min: number, max: number): boolean {
  if (text.length < min || text.length > max) return false;
  return Math.ceil(text.length / 2) >= min || [...text].length >= min;
}

function expectKeywords(what: string, schema: SchemaObject, known: ReadonlySet<string>): void {
  const unknown = Object.keys(schema).filter((keyword) => !known.has(keyword));
  if (unknown.length > 0) throw new Error(`hashMapCheck: the ${what} schema has keywords this check does not know: ${unknown.join(', ')}`);
}
