// A one-pass check of a value against a JSON Schema of the subset the wire schemas are written in
// (wireSchema.ts, wireSchemaV2.ts), made from the schema object itself: one walk over the value,
// no error state. ajv's code for a record also walks it once per keyword kind (the
// additionalProperties loop, then each property, then each dependency) and keeps error state as it
// goes; on the ingest path that was most of a record's check. Like hashMapCheck.ts, the check only
// ever answers "passes": a value it does not pass goes to ajv, which decides and names the field,
// so the verdicts and their messages are ajv's. A schema with a keyword it does not know is refused
// when the check is made (at start-up), so a keyword added to a schema cannot be skipped.
//
// The check is generated as the source of one function (as ajv makes its own), not composed of
// closures: a record's members are then read by name, each read site seeing one shape, where
// closures called through one generic object walk (a Map of member checks, a keyed read per
// member) took ~2.5x as long. Only the schema's own constants reach the source, each quoted by
// JSON.stringify or checked to be a finite number; patterns, enumerations of more than a few
// values and hash maps are passed in as values.

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
/** Enumerations this long or shorter are compared value by value, longer ones looked up in a Set. */
const INLINE_ENUM = 8;

/**
 * `schema`: what to check against; `definitions`: where its `$ref`s (#/definitions/…) resolve.
 * Answers a predicate that is true only for values ajv (strict, draft-07) accepts (false: ask ajv).
 */
export function onePassCheck(schema: SchemaObject, definitions: Record<string, unknown>): ValueCheck {
  return new CheckSource(definitions).check(schema, '(root)');
}

/** The source of one check: its statements `return false` for what they do not pass, its constants arrive as `c`. */
class CheckSource {
  /** Values the source refers to as c[i]: patterns, Sets, the checks of hash maps and of definitions that refer to themselves. */
  private readonly constants: unknown[] = [];
  private variables = 0;
  /** Definitions being written inline: one met again refers to itself and is checked by a function of its own. */
  private readonly expanding = new Set<string>();

  constructor(
    private readonly definitions: Record<string, unknown>,
    /** The own checks of definitions that refer to themselves, shared with the sources made for them. */
    private readonly ownChecks = new Map<string, ValueCheck>(),
    /** The definition this source checks, when it is one of those. */
    definition?: string,
  ) {
    if (definition !== undefined) this.expanding.add(definition);
  }

  check(schema: SchemaObject, where: string): ValueCheck {
    const body = this.statements(schema, where, 'value');
    const make = new Function('c', `"use strict"; return function check(value) {\n${body}return true;\n};`) as (
      constants: unknown[],
    ) => ValueCheck;
    return make(this.constants);
  }

  /** Statements that return false unless the value in `v` passes `node`. */
  private statements(node: SchemaObject, where: string, v: string): string {
    if (typeof node.$ref === 'string') return this.reference(node, where, v);
    if (Array.isArray(node.enum)) {
      known(where, node, new Set(['enum']));
      return this.oneOf(primitives(where, node.enum), v);
    }
    const type = node.type;
    if (typeof type !== 'string' || !(type in KEYWORDS))
      throw new Error(`onePassCheck: ${where}: type ${JSON.stringify(type)} is not one it checks`);
    if (type === 'object' && typeof node.additionalProperties === 'object')
      return `if (!${this.constant(hashMapCheck(node, this.definitions))}(${v})) return false;\n`;
    known(where, node, KEYWORDS[type]!);
    switch (type) {
      case 'string':
        return this.string(node, where, v);
      case 'integer': {
        const min = bound(where, node.minimum, 'minimum');
        const max = bound(where, node.maximum, 'maximum');
        return `if (!Number.isInteger(${v})${min === null ? '' : ` || ${v} < ${min}`}${max === null ? '' : ` || ${v} > ${max}`}) return false;\n`;
      }
      case 'boolean':
        return node.const === undefined ? `if (typeof ${v} !== 'boolean') return false;\n` : this.oneOf(primitives(where, [node.const]), v);
      case 'array':
        return this.array(node, where, v);
      default:
        return this.object(node, where, v);
    }
  }

  private reference(node: SchemaObject, where: string, v: string): string {
    known(where, node, new Set(['$ref']));
    const ref = node.$ref as string;
    const name = ref.replace(/^#\/definitions\//, '');
    const target = this.definitions[name];
    if (name === ref || target === undefined) throw new Error(`onePassCheck: ${where}: $ref ${ref} is not in definitions`);
    if (!this.expanding.has(name)) {
      this.expanding.add(name);
      const inline = this.statements(target as SchemaObject, `definitions.${name}`, v);
      this.expanding.delete(name);
      return inline;
    }
    // A definition that refers to itself: checked by a function of its own, made at its first use,
    // in which it refers to that same function.
    let own = this.ownChecks.get(name);
    if (own === undefined) {
      let made: ValueCheck | null = null;
      own = (value) => {
        made ??= new CheckSource(this.definitions, this.ownChecks, name).check(target as SchemaObject, `definitions.${name}`);
        return made(value);
      };
      this.ownChecks.set(name, own);
    }
    return `if (!${this.constant(own)}(${v})) return false;\n`;
  }

  private oneOf(values: ReadonlyArray<string | number | boolean>, v: string): string {
    if (values.length > INLINE_ENUM) return `if (!${this.constant(new Set(values))}.has(${v})) return false;\n`;
    const differs = values.map((value) => `${v} !== ${literal(value)}`);
    return `if (${differs.length === 0 ? 'true' : differs.join(' && ')}) return false;\n`;
  }

  private string(node: SchemaObject, where: string, v: string): string {
    const min = bound(where, node.minLength, 'minLength') ?? 0;
    const max = bound(where, node.maxLength, 'maxLength');
    let out = `if (typeof ${v} !== 'string') return false;\n`;
    // A string of at least one unit has at least one code point: only a longer minimum needs counting them.
    if (min > 1) out += `if (!${this.constant(surelyWithinLength)}(${v}, ${min}, ${max ?? 'Infinity'})) return false;\n`;
    else if (min === 1 || max !== null)
      out += `if (${[min === 1 ? `${v}.length === 0` : '', max === null ? '' : `${v}.length > ${max}`].filter(Boolean).join(' || ')}) return false;\n`;
    // ajv compiles patterns with the `u` flag (its default unicodeRegExp).
    if (typeof node.pattern === 'string') out += `if (!${this.constant(new RegExp(node.pattern, 'u'))}.test(${v})) return false;\n`;
    return out;
  }

  private array(node: SchemaObject, where: string, v: string): string {
    const min = bound(where, node.minItems, 'minItems') ?? 0;
    const max = bound(where, node.maxItems, 'maxItems');
    const items = node.items;
    let out = `if (!Array.isArray(${v})${min > 0 ? ` || ${v}.length < ${min}` : ''}${max === null ? '' : ` || ${v}.length > ${max}`}) return false;\n`;
    if (Array.isArray(items)) {
      // A tuple: nothing past its items.
      if (node.additionalItems !== false) throw new Error(`onePassCheck: ${where}: a tuple must have additionalItems false`);
      if (max === null || max > items.length) out += `if (${v}.length > ${items.length}) return false;\n`;
      items.forEach((item, i) => {
        const element = this.variable();
        const check = `const ${element} = ${v}[${i}];\n${this.statements(item as SchemaObject, `${where}[${i}]`, element)}`;
        out += i < min ? `{\n${check}}\n` : `if (${v}.length > ${i}) {\n${check}}\n`;
      });
      return out;
    }
    if (node.additionalItems !== undefined) throw new Error(`onePassCheck: ${where}: additionalItems without a tuple`);
    if (items === undefined) return out;
    const index = this.variable();
    const element = this.variable();
    return `${out}for (let ${index} = 0; ${index} < ${v}.length; ${index}++) {\nconst ${element} = ${v}[${index}];\n${this.statements(items as SchemaObject, `${where}[]`, element)}}\n`;
  }

  private object(node: SchemaObject, where: string, v: string): string {
    if (node.additionalProperties !== false) throw new Error(`onePassCheck: ${where}: an object must have additionalProperties false`);
    const properties = Object.entries((node.properties ?? {}) as Record<string, SchemaObject>);
    const required = new Set((node.required ?? []) as string[]);
    const key = this.variable();
    // As ajv: every enumerable name (for…in) must be one of the properties; a property is read by
    // name, and undefined is absent.
    let out = `if (typeof ${v} !== 'object' || ${v} === null || Array.isArray(${v})) return false;\n`;
    out +=
      properties.length === 0
        ? `for (const ${key} in ${v}) return false;\n`
        : `for (const ${key} in ${v}) switch (${key}) {\n${properties.map(([name]) => `case ${literal(name)}:`).join(' ')}\nbreak;\ndefault: return false;\n}\n`;
    for (const [name, member] of properties) {
      const value = this.variable();
      const check = this.statements(member, `${where}.${name}`, value);
      out += `const ${value} = ${v}[${literal(name)}];\n`;
      out += required.has(name) ? `if (${value} === undefined) return false;\n${check}` : `if (${value} !== undefined) {\n${check}}\n`;
    }
    for (const name of required)
      if (!properties.some(([property]) => property === name)) out += `if (${v}[${literal(name)}] === undefined) return false;\n`;
    for (const [name, needs] of Object.entries((node.dependencies ?? {}) as Record<string, unknown>)) {
      if (!Array.isArray(needs)) throw new Error(`onePassCheck: ${where}: dependencies.${name} must list property names`);
      if (needs.length === 0) continue;
      const missing = (needs as unknown[]).map((need) => `${v}[${literal(String(need))}] === undefined`).join(' || ');
      out += `if (${v}[${literal(name)}] !== undefined && (${missing})) return false;\n`;
    }
    return out;
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `c[${this.constants.length - 1}]`;
  }

  private variable(): string {
    return `v${this.variables++}`;
  }
}

function known(where: string, node: SchemaObject, keywords: ReadonlySet<string>): void {
  const unknown = Object.keys(node).filter((keyword) => !keywords.has(keyword) && !ANNOTATIONS.has(keyword));
  if (unknown.length > 0) throw new Error(`onePassCheck: ${where} has keywords this check does not know: ${unknown.join(', ')}`);
}

function primitives(where: string, values: readonly unknown[]): Array<string | number | boolean> {
  for (const value of values)
    if (!(typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))))
      throw new Error(`onePassCheck: ${where}: only string, finite number and boolean constants`);
  return values as Array<string | number | boolean>;
}

/** A bound keyword's value as it goes into the source: a finite number, or null when absent. */
function bound(where: string, value: unknown, keyword: string): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`onePassCheck: ${where}: ${keyword} must be a finite number`);
  return value;
}

/** A constant as source text: JSON's spelling is JavaScript's for strings, finite numbers and booleans (-0 compares equal to 0 either way). */
function literal(value: string | number | boolean): string {
  return JSON.stringify(value);
}
