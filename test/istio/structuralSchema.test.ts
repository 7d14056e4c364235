// The structural-schema conversion on its own: each Kubernetes extension becomes the JSON Schema
// check the API server would make, or is refused when it is not understood.

import { describe, expect, it } from 'vitest';
import { LIST_MAP_KEYS_KEYWORD, toJsonSchema } from './structuralSchema.js';

describe('toJsonSchema', () => {
  it('closes objects to unknown fields, as strict field validation does', () => {
    expect(toJsonSchema({ type: 'object', properties: { a: { type: 'object', properties: {} } } })).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { a: { type: 'object', properties: {}, additionalProperties: false } },
    });
  });

  it('leaves maps (additionalProperties schemas) and preserve-unknown-fields objects open', () => {
    expect(toJsonSchema({ type: 'object', additionalProperties: { type: 'string' } })).toEqual({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    expect(toJsonSchema({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true })).toEqual({ type: 'object' });
  });

  it('does not close the object schemas of value validations (oneOf, anyOf, allOf, not)', () => {
    const converted = toJsonSchema({
      type: 'object',
      properties: { a: { type: 'string' } },
      oneOf: [{ not: { anyOf: [{ required: ['a'] }] } }, { required: ['a'] }],
    });
    expect(converted['oneOf']).toEqual([{ not: { anyOf: [{ required: ['a'] }] } }, { required: ['a'] }]);
  });

  it('turns int-or-string into a choice of integer or string, unless the CRD already spells it out', () => {
    expect(toJsonSchema({ 'x-kubernetes-int-or-string': true })).toEqual({ anyOf: [{ type: 'integer' }, { type: 'string' }] });
    const spelled = { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true };
    expect(toJsonSchema(spelled)).toEqual({ anyOf: [{ type: 'integer' }, { type: 'string' }] });
  });

  it('makes set lists unique and map lists unique by their keys', () => {
    expect(toJsonSchema({ type: 'array', 'x-kubernetes-list-type': 'set' })).toEqual({ type: 'array', uniqueItems: true });
    expect(toJsonSchema({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })).toEqual({
      type: 'array',
      [LIST_MAP_KEYS_KEYWORD]: ['name'],
    });
  });

  it('admits null where nullable, and drops CEL rules', () => {
    expect(toJsonSchema({ type: 'integer', nullable: true })).toEqual({ type: ['integer', 'null'] });
    expect(toJsonSchema({ type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() > 0' }] })).toEqual({ type: 'string' });
  });

  it('refuses an extension it does not understand, instead of skipping it', () => {
    expect(() => toJsonSchema({ type: 'object', 'x-kubernetes-embedded-resource': true })).toThrow(/x-kubernetes-embedded-resource/);
    expect(() => toJsonSchema({ type: 'array', 'x-kubernetes-list-type': 'bag' })).toThrow(/list-type "bag"/);
  });
});
