// Turns a CRD's openAPIV3Schema (a Kubernetes structural schema) into a JSON Schema that Ajv
// checks the way `kubectl apply` (strict field validation, the default) and the API server would:
//
// - unknown fields are errors, except under `x-kubernetes-preserve-unknown-fields: true`
//   (the API server prunes them, and strict validation refuses them, so a typo never applies);
// - `x-kubernetes-int-or-string` accepts an integer or a string;
// - `x-kubernetes-list-type: set` items are unique, `map` items are unique by their
//   `x-kubernetes-list-map-keys` (checked by the `listMapKeys` keyword, see crdValidator.ts);
// - `nullable: true` admits null.
//
// `x-kubernetes-validations` (CEL rules) are dropped: evaluating CEL needs the API server. Any
// other `x-kubernetes-*` extension throws, so that a CRD using one is noticed, not half-checked.

export type SchemaNode = { [keyword: string]: unknown };

/** The custom Ajv keyword that carries `x-kubernetes-list-map-keys`. */
export const LIST_MAP_KEYS_KEYWORD = 'listMapKeys';

/** Keywords whose value is a map of names to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions']);
/** Keywords whose value is one schema. */
const SCHEMA_VALUES = new Set(['items', 'additionalProperties', 'not']);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
/**
 * Under these, a schema only adds constraints to the structural one it sits in (structural
 * schemas forbid them from declaring new fields), so unknown-field refusal must not be added.
 */
const VALUE_VALIDATION_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf', 'not']);

const DROPPED_EXTENSIONS = new Set(['x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields']);

export function toJsonSchema(node: SchemaNode): SchemaNode {
  return convert(node, false);
}

function convert(node: SchemaNode, inValueValidation: boolean): SchemaNode {
  const out: SchemaNode = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (DROPPED_EXTENSIONS.has(keyword)) continue;
    const nested = inValueValidation || VALUE_VALIDATION_KEYWORDS.has(keyword);
    if (SCHEMA_MAPS.has(keyword)) {
      out[keyword] = Object.fromEntries(
        Object.entries(asObject(value, keyword)).map(([name, child]) => [name, convert(asObject(child, name), nested)]),
      );
    } else if (SCHEMA_VALUES.has(keyword) && typeof value === 'object' && value !== null) {
      out[keyword] = convert(asObject(value, keyword), nested);
    } else if (SCHEMA_LISTS.has(keyword)) {
      out[keyword] = asArray(value, keyword).map((child, i) => convert(asObject(child, `${keyword}[${i}]`), nested));
    } else if (keyword.startsWith('x-kubernetes-')) {
      Object.assign(out, convertExtension(keyword, value, node));
    } else if (keyword === 'nullable') {
      // Applied below, once the type is known.
    } else {
      out[keyword] = value;
    }
  }
  if (node['nullable'] === true && typeof out['type'] === 'string') {
    out['type'] = [out['type'], 'null'];
  }
  const preservesUnknown = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!inValueValidation && out['type'] === 'object' && !('additionalProperties' in out) && !preservesUnknown) {
    out['additionalProperties'] = false;
  }
  return out;
}

function convertExtension(keyword: string, value: unknown, node: SchemaNode): SchemaNode {
  switch (keyword) {
    case 'x-kubernetes-int-or-string':
      // The generated CRDs already spell the anyOf out; add it where they do not.
      return value === true && !('anyOf' in node) ? { anyOf: [{ type: 'integer' }, { type: 'string' }] } : {};
    case 'x-kubernetes-list-type':
      if (value === 'set') return { uniqueItems: true };
      if (value === 'map' || value === 'atomic') return {};
      throw new Error(`unknown x-kubernetes-list-type ${JSON.stringify(value)}`);
    case 'x-kubernetes-list-map-keys':
      return { [LIST_MAP_KEYS_KEYWORD]: asArray(value, keyword) };
    default:
      throw new Error(`${keyword} is not understood by this converter: extend structuralSchema.ts`);
  }
}

function asObject(value: unknown, where: string): SchemaNode {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected a schema object`);
  return value as SchemaNode;
}

function asArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list`);
  return value;
}
