// A one-pass check of a value against a JSON Schema of the subset the wire schemas are written in
// (wireSchema.ts, wireSchemaV2.ts), made from the schema object itself: one walk over the value,
// no error state. ajv's code for a record also walks it once per keyword kind (the
// additionalProperties loop, then each property, then each dependency) and keeps error state as it
// goes; on the ingest path that was most of a record's check. Like hashMapCheck.ts, the check only
// ever answers "passes": a value it does not pass goes to ajv, which decides and names the field,
// so the verdicts and their messages are ajv's. A schema with a keyword it does not know is refused
// when the check is made (at start-up), so a keyword added to a schema cannot be skipped.

import { hashMapCheck, surelyWithinLength } from './hashMapCheck.js';

type SchemaObject = Record<string, unknown>;
export type ValueCheck = (value: unknown) => boolean;

/** Keywords that say nothing about validity. */
const ANNOTATIONS = new Set(['description', 'title']);
const KEYWORDS: Record<string, ReadonlySet<string>> = {
  string: new Set(['type', 'minLength', 'maxLength', 'pattern']),
  integer: new Set(['type', 'minimum', 'maximum']),
  boolean: new Set(['type', 'const']),
  object: new Set(['type', 'properties', 'required', 'additionalProperties', 'dependencies']),
  array: new Set(['type', 'items', 'additionalItems', 'minItems', 'maxItems']),
};

/**
 * `schema`: what to check against; `definitions`: where its `$ref`s (#/definitions/…) resolve.
 * Answers a predicate that is true only for values ajv (strict, draft-07) accepts (false: ask ajv).
 */
export function onePassCheck(schema: SchemaObject, definitions: Record<string, unknown>): ValueCheck {
  const refs = new Map<string, ValueCheck>();
  const compile = (node: SchemaObject, where: string): ValueCheck => {
    if (typeof node.$ref === 'string') {
      known(where, node, new Set(['$ref']));
      const name = node.$ref.replace(/^#\/definitions\//, '');
      const target = definitions[name];
      if (name === node.$ref || target === undefined) throw new Error(`onePassCheck: ${where}: $ref ${node.$ref} is not in definitions`);
      let check = refs.get(name);
      if (check === undefined) {
        // Late-bound, so a definition may refer to itself.
        refs.set(name, (value) => check!(value));
        check = compile(target as SchemaObject, `definitions.${name}`);
        refs.set(name, check);
      }
      return check;
    }
    if (Array.isArray(node.enum)) {
      known(where, node, new Set(['enum']));
      const values = new Set(primitives(where, node.enum));
      return (value) => values.has(value as never);
    }
    const type = node.type;
    if (typeof type !== 'string' || !(type in KEYWORDS))
      throw new Error(`onePassCheck: ${where}: type ${JSON.stringify(type)} is not one it checks`);
    if (type === 'object' && typeof node.additionalProperties === 'object') return hashMapCheck(node, definitions);
    known(where, node, KEYWORDS[type]!);
    switch (type) {
      case 'string':
        return stringCheck(node);
      case 'integer':
        return integerCheck(node);
      case 'boolean': {
        if (node.const === undefined) return (value) => typeof value === 'boolean';
        const [constant] = primitives(where, [node.const]);
        return (value) => value === constant;
      }
      case 'array':
        return arrayCheck(node, where, compile);
      default:
        return objectCheck(node, where, compile);
    }
  };
  return compile(schema, '(root)');
}

function known(where: string, node: SchemaObject, keywords: ReadonlySet<string>): void {
  const unknown = Object.keys(node).filter((keyword) => !keywords.has(keyword) && !ANNOTATIONS.has(keyword));
  if (unknown.length > 0) throw new Error(`onePassCheck: ${where} has keywords this check does not know: ${unknown.join(', ')}`);
}

function primitives(where: string, values: readonly unknown[]): Array<string | number | boolean> {
  for (const value of values)
    if (!['string', 'number', 'boolean'].includes(typeof value))
      throw new Error(`onePassCheck: ${where}: only string, number and boolean constants`);
  return values as Array<string | number | boolean>;
}

function stringCheck(node: SchemaObject): ValueCheck {
  const min = (node.minLength as number | undefined) ?? 0;
  const max = (node.maxLength as number | undefined) ?? Number.POSITIVE_INFINITY;
  // ajv compiles patterns with the `u` flag (its default unicodeRegExp).
  const pattern = typeof node.pattern === 'string' ? new RegExp(node.pattern, 'u') : null;
  return (value) => typeof value === 'string' && surelyWithinLength(value, min, max) && (pattern === null || pattern.test(value));
}

function integerCheck(node: SchemaObject): ValueCheck {
  const min = (node.minimum as number | undefined) ?? Number.NEGATIVE_INFINITY;
  const max = (node.maximum as number | undefined) ?? Number.POSITIVE_INFINITY;
  return (value) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

function arrayCheck(node: SchemaObject, where: string, compile: (node: SchemaObject, where: string) => ValueCheck): ValueCheck {
  const min = (node.minItems as number | undefined) ?? 0;
  const max = (node.maxItems as number | undefined) ?? Number.POSITIVE_INFINITY;
  const items = node.items;
  if (Array.isArray(items)) {
    // A tuple: nothing past its items.
    if (node.additionalItems !== false) throw new Error(`onePassCheck: ${where}: a tuple must have additionalItems false`);
    const each = items.map((item, i) => compile(item as SchemaObject, `${where}[${i}]`));
    return (value) => {
      if (!Array.isArray(value) || value.length < min || value.length > max || value.length > each.length) return false;
      for (let i = 0; i < value.length; i++) if (!each[i]!(value[i])) return false;
      return true;
    };
  }
  if (node.additionalItems !== undefined) throw new Error(`onePassCheck: ${where}: additionalItems without a tuple`);
  const every = items === undefined ? null : compile(items as SchemaObject, `${where}[]`);
  return (value) => {
    if (!Array.isArray(value) || value.length < min || value.length > max) return false;
    if (every !== null) for (const item of value) if (!every(item)) return false;
    return true;
  };
}

function objectCheck(node: SchemaObject, where: string, compile: (node: SchemaObject, where: string) => ValueCheck): ValueCheck {
  if (node.additionalProperties !== false) throw new Error(`onePassCheck: ${where}: an object must have additionalProperties false`);
  const properties = Object.entries((node.properties ?? {}) as Record<string, SchemaObject>);
  // A Map, not the schema's object: a member such as `constructor` or `__proto__` is nobody's property here.
  const members = new Map(properties.map(([name, member]) => [name, compile(member, `${where}.${name}`)]));
  const required = (node.required ?? []) as string[];
  const dependencies = Object.entries((node.dependencies ?? {}) as Record<string, unknown>).map(([name, needs]) => {
    if (!Array.isArray(needs)) throw new Error(`onePassCheck: ${where}: dependencies.${name} must list property names`);
    return [name, needs as string[]] as const;
  });
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const object = value as Record<string, unknown>;
    for (const name in object) {
      const member = members.get(name);
      if (member === undefined || !member(object[name])) return false;
    }
    // Read only for names the schema has (none is an Object.prototype member); as ajv, undefined is absent.
    for (const name of required) if (object[name] === undefined) return false;
    for (const [name, needs] of dependencies)
      if (object[name] !== undefined) for (const need of needs) if (object[need] === undefined) return false;
    return true;
  };
}
