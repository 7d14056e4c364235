import { describe, expect, it } from 'vitest';
import { filterSearch, filtersOf, pageOf, pairHref, routeHref, timeRangeMs } from '../../collector/ui/location.js';

describe('the UI addresses', () => {
  it('tells the pages apart by path, a route name decoded whole', () => {
    expect(pageOf('/')).toEqual({ kind: 'overview' });
    expect(pageOf(`/routes/${encodeURIComponent('GET /orders/{id}')}`)).toEqual({ kind: 'route', route: 'GET /orders/{id}' });
    expect(pageOf('/pairs/f95bfd874eb963a0')).toEqual({ kind: 'pair', id: 'f95bfd874eb963a0' });
    expect(pageOf('/elsewhere')).toEqual({ kind: 'unknown', path: '/elsewhere' });
  });

  it('round-trips the filters through the query string, dropping what it does not know', () => {
    const filters = filtersOf('?segment=employees&range=1h&version=v2&other=1');
    expect(filters).toEqual({ segment: 'employees', range: '1h', version: 'v2' });
    expect(filtersOf(filterSearch(filters))).toEqual(filters);
    expect(filtersOf('?range=forever&segment=')).toEqual({ range: 'all' });
    expect(filterSearch({ range: 'all' })).toBe('');
  });

  it('links routes and pairs keeping the filters', () => {
    expect(routeHref('GET /orders/{id}', { range: '15m' })).toBe('/routes/GET%20%2Forders%2F%7Bid%7D?range=15m');
    expect(pairHref('a/b', { range: 'all', segment: 'beta' })).toBe('/pairs/a%2Fb?segment=beta');
  });

  it('turns a range into the API bounds, none for all', () => {
    expect(timeRangeMs('all', 1_000_000_000)).toBeNull();
    expect(timeRangeMs('15m', 1_000_000_000)).toEqual({ fromUnixMs: 1_000_000_000 - 900_000, toUnixMs: 1_000_000_000 });
  });
});
