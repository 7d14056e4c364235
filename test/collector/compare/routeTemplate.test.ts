import { describe, expect, it } from 'vitest';
import { collapseIdSegments, isIdLike, RouteResolver, templateProblem } from '../../../collector/compare/routeTemplate.js';

describe('collapseIdSegments', () => {
  it.each([
    ['/orders/123', '/orders/{id}'],
    ['/orders/123/items/7', '/orders/{id}/items/{id}'],
    ['/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/cart', '/users/{id}/cart'],
    ['/users/3F2504E0-4F89-11D3-9A0C-0305E82C3301', '/users/{id}'],
    ['/blobs/507f1f77bcf86cd799439011', '/blobs/{id}'],
    ['/commits/da39a3ee5e6b4b0d3255bfef95601890afd80709/', '/commits/{id}/'],
  ])('%s -> %s', (path, template) => {
    expect(collapseIdSegments(path)).toBe(template);
  });

  it.each(['/', '/orders', '/v2/orders', '/cafe/beef', '/abc123', '/3f2504e0-4f89-11d3-9a0c', '/a//b'])('leaves %s alone', (path) => {
    expect(collapseIdSegments(path)).toBe(path);
  });

  it('collapses an all-hex segment from 16 characters on, and leaves 15 literal (letters a-f, either case)', () => {
    expect(collapseIdSegments('/blobs/abcdef012345678')).toBe('/blobs/abcdef012345678');
    expect(collapseIdSegments('/blobs/abcdef0123456789')).toBe('/blobs/{id}');
    expect(collapseIdSegments('/blobs/ABCDEF012345678/x')).toBe('/blobs/ABCDEF012345678/x');
    expect(collapseIdSegments('/blobs/ABCDEF0123456789/x')).toBe('/blobs/{id}/x');
    // All digits is an id at any length; one non-hex letter keeps even a long segment literal.
    expect(collapseIdSegments('/n/7')).toBe('/n/{id}');
    expect(collapseIdSegments('/blobs/abcdef0123456789g')).toBe('/blobs/abcdef0123456789g');
  });
});

describe('RouteResolver', () => {
  it('keys routes by method and template', () => {
    const routes = new RouteResolver([]);
    expect(routes.resolve('GET', '/orders/1')).toBe('GET /orders/{id}');
    expect(routes.resolve('GET', '/orders/2')).toBe('GET /orders/{id}');
    expect(routes.resolve('DELETE', '/orders/2')).toBe('DELETE /orders/{id}');
    expect(new Set(['/orders/1', '/orders/2'].map((path) => routes.resolve('GET', path))).size).toBe(1);
  });

  it('prefers configured templates, first match wins', () => {
    const routes = new RouteResolver(['/users/{name}/profile', '/users/{name}/{tab}', '/users/{name}']);
    expect(routes.resolve('GET', '/users/alice/profile')).toBe('GET /users/{name}/profile');
    expect(routes.resolve('GET', '/users/alice/settings')).toBe('GET /users/{name}/{tab}');
    expect(routes.resolve('GET', '/users/alice/')).toBe('GET /users/{name}');
    expect(routes.resolve('GET', '/users/alice/a/b')).toBe('GET /users/alice/a/b');
  });

  it('treats template literals literally', () => {
    const routes = new RouteResolver(['/v1.0/items/{id}']);
    expect(routes.resolve('GET', '/v1x0/items/3')).toBe('GET /v1x0/items/{id}');
    expect(routes.resolve('GET', '/v1.0/items/abc')).toBe('GET /v1.0/items/{id}');
  });

  it('classifies ids once for route segments and field keys (isIdLike)', () => {
    expect(['42', '0042', '550e8400-e29b-41d4-a716-446655440000', 'deadbeefdeadbeef'].map((s) => isIdLike(s))).toEqual([true, true, true, true]);
    expect(['v2', 'deadbeef', 'orders', 'abcdef0123456789g', ''].map((s) => isIdLike(s))).toEqual([false, false, false, false, false]);
    expect(isIdLike('/a/123/b', 3, 6)).toBe(true);
  });

  it('refuses malformed templates', () => {
    expect(templateProblem('/a/{id}')).toBeNull();
    expect(templateProblem('a/{id}')).toMatch(/start with "\/"/);
    expect(templateProblem('/a/{id}x')).toMatch(/whole \{name\} parameter/);
    expect(templateProblem('/a/{1d}')).toMatch(/whole \{name\} parameter/);
    expect(() => new RouteResolver(['/x/{'])).toThrow(/route template "\/x\/\{"/);
  });
});
