// The web UI in a real browser (Debian's Chromium, playwright-core) against the real collector fed
// by real traffic through Envoy with the filter: the rollout gate and the ranked routes as the
// JSON report says, keyboard navigation from the routes table to a route page and its fields, a
// pair page with the differing fields marked, the filters (degrading where this collector lacks
// them), the token form, self-updating while traffic flows, and no request outside the collector.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../collector/types.js';
import { interval, percent } from '../../collector/ui/format.js';
import type { JsonObject } from '../../envoy/json.js';
import { comparedStackPerBlock, SAMPLED_COHORT, sampledEdgeConfig } from '../support/comparedStack.js';
import { testShadowConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';
import { launchChromium, openRecordedPage, screenshot, type RecordedPage } from './chromiumPage.js';

const TOKEN = 'ui-test-report-token';
const CAPTURE: JsonObject = { capture: { paths: ['$.price', '$.currency'] } };
const ORDERS = 24;
const USERS = 12;
const CARTS = 8;

const json = (body: unknown): StubResponse => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const idOf = (request: RecordedRequest): number => Number(request.path.split('/').at(-1));

/** v1 and v2 of three routes: orders price every third order differently, carts always total differently, users agree. */
function answer(request: RecordedRequest, version: 'v1' | 'v2'): StubResponse {
  const id = idOf(request);
  if (request.path.startsWith('/orders/')) return json({ id, price: version === 'v2' && id % 3 === 0 ? 9.99 : 10, currency: 'EUR' });
  if (request.path.startsWith('/carts/')) return json({ id, total: version === 'v2' ? id + 0.5 : id, items: id });
  return json({ id, name: `user ${id}` });
}

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('the web UI in Chromium, against the collector fed through Envoy', () => {
  const compared = comparedStackPerBlock({
    collector: { reportToken: TOKEN },
    edgeConfig: { ...sampledEdgeConfig(), digest: CAPTURE },
    shadowConfig: { ...testShadowConfig(), digest: CAPTURE },
    primaryHandler: (request) => answer(request, 'v1'),
    shadowHandler: (request) => answer(request, 'v2'),
    paths: [...range('/orders/', ORDERS), ...range('/users/', USERS), ...range('/carts/', CARTS)],
  });
  let browser: Browser | undefined;
  const pages: RecordedPage[] = [];
  let report: Report;

  beforeAll(async () => {
    browser = await launchChromium();
    report = await compared().joined();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const origin = (): string => compared().collector.server.url;

  /** A fresh page (no token yet) that has given the token form the report token. */
  async function signedIn(path: string): Promise<Page> {
    if (browser === undefined) throw new Error('Chromium did not start (see beforeAll)');
    const recorded = await openRecordedPage(browser);
    pages.push(recorded);
    const { page } = recorded;
    await page.goto(`${origin()}${path}`);
    await page.getByRole('textbox', { name: /Report token/ }).fill(TOKEN);
    await page.getByRole('button', { name: 'Show the report' }).click();
    return page;
  }

  it('serves the page shell with a same-origin content security policy, no token needed', async () => {
    const response = await fetch(`${origin()}/`);
    expect(response.status, 'the collector serves build/ui/ (npm run build:ui)').toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toContain('/ui/assets/');
  });

  it('asks for the report token, refuses a wrong one, and shows the rollout gate and coverage with the right one', async () => {
    if (browser === undefined) throw new Error('Chromium did not start (see beforeAll)');
    const recorded = await openRecordedPage(browser);
    pages.push(recorded);
    const { page } = recorded;
    await page.goto(`${origin()}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Report token needed' }).isVisible()).toBe(true);
    await page.getByRole('textbox', { name: /Report token/ }).fill('not-the-token');
    await page.getByRole('button', { name: 'Show the report' }).click();
    await page.getByText('wrong bearer token').waitFor();
    await page.getByRole('textbox', { name: /Report token/ }).fill(TOKEN);
    await page.getByRole('button', { name: 'Show the report' }).click();

    const verdict = page.getByRole('region', { name: /Rollout gate/ });
    await verdict.waitFor();
    // 8 of 8 carts diverge: far above the 1% threshold.
    expect(await verdict.getByRole('heading').textContent()).toBe('Rollout gate: closed');
    expect(await verdict.textContent()).toContain(`Worst route GET /carts/{id}`);
    expect(await verdict.textContent()).toContain('1% (report.gateMaxUpperBound)');
    expect(await verdict.textContent()).toContain(`Shadow coverage${percent(report.totals.coverage.shadowCoverage)}`);
    expect(await verdict.textContent()).toContain(`Pairs${ORDERS + USERS + CARTS}`);
    // The token lives in this tab's session storage.
    expect(await page.evaluate(() => sessionStorage.getItem('shadowdiff.reportToken'))).toBe(TOKEN);
    await screenshot(page, 'overview');
  });

  it('ranks the routes as the JSON report does, with its rates and intervals', async () => {
    const page = await signedIn('/');
    const rows = page.locator('table.routes tbody tr');
    await rows.first().waitFor();
    expect(report.routes.map((r) => r.route)).toEqual(['GET /carts/{id}', 'GET /orders/{id}', 'GET /users/{id}']);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-route')))).toEqual(report.routes.map((r) => r.route));
    for (const [index, route] of report.routes.entries()) {
      const cells = await rows.nth(index).locator('td').allTextContents();
      expect(cells.slice(0, 4)).toEqual([
        String(route.pairs),
        String(route.diverged),
        percent(route.divergenceRate),
        interval(route.divergenceCi95),
      ]);
    }
    const orders = report.routes.find((r) => r.route === 'GET /orders/{id}')!;
    expect([orders.pairs, orders.diverged]).toEqual([ORDERS, ORDERS / 3]);
  });

  it('reaches a route page from the routes table with the keyboard alone, and shows its ranked fields and pictures', async () => {
    const page = await signedIn('/');
    await page.locator('table.routes tbody tr').first().waitFor();
    const target = 'GET /orders/{id}';
    let reached = false;
    for (let presses = 0; presses < 40 && !reached; presses++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate((name) => document.activeElement?.textContent === name, target);
    }
    expect(reached, `Tab reaches the link of ${target}`).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin()}/routes/${encodeURIComponent(target)}`);
    // The new page's heading has the focus, as after a full load.
    await expect
      .poll(() => page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`))
      .toBe(`H1 ${target}`);

    const route = report.routes.find((r) => r.route === target)!;
    const fields = page.locator('table.fields tbody tr');
    await fields.first().waitFor();
    expect(await fields.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-field')))).toEqual(['$.price']);
    const price = route.fields[0]!;
    const cells = await fields.first().locator('td').allTextContents();
    expect(cells[0]).toBe(percent(price.rate));
    expect(cells[1]).toBe(String(price.divergentPairs));
    expect(cells[2]).toBe(`changed ${price.changed}`);
    // Captured values: both legs' price of an example pair, and by how much they differ.
    expect(cells[4]).toContain('10 → 9.99');
    expect(cells[4]).toContain('differs by up to 0.01');
    // The latency distribution per leg: bars of both legs, counted as the report's histogram.
    const histogram = route.latencyHistogram;
    expect(histogram.primary.reduce((a, b) => a + b)).toBe(ORDERS);
    expect(await page.locator('svg.latency-histogram rect.bar.primary').count()).toBe(histogram.primary.length);
    expect(await page.locator('svg.latency-histogram rect.bar.shadow').count()).toBe(histogram.shadow.length);
    expect(await page.getByRole('img', { name: /Latency distribution of GET \/orders\/\{id\}/ }).count()).toBe(1);
    await screenshot(page, 'route');
  });

  it("shows a pair's legs side by side with the differing field marked", async () => {
    const field = report.routes.find((r) => r.route === 'GET /orders/{id}')!.fields[0]!;
    const id = field.examples[0]!;
    const page = await signedIn(`/pairs/${id}`);
    const fields = page.locator('#pair-fields tbody tr');
    await fields.first().waitFor();
    const price = page.locator('#pair-fields tr[data-key="$.price"]');
    expect(await price.getAttribute('class')).toBe('differs changed');
    expect(await price.locator('td').allTextContents()).toEqual(['10', '9.99', 'differs']);
    const currency = page.locator('#pair-fields tr[data-key="$.currency"]');
    expect(await currency.getAttribute('class')).toBeNull();
    expect(await currency.locator('td').allTextContents()).toEqual(['"EUR"', '"EUR"', '–']);
    expect(await page.locator('#pair-summary tr[data-key="status"] td').allTextContents()).toEqual(['200', '200', '–']);
    await screenshot(page, 'pair');
  });

  it('offers the segment filter where the collector has segments, and says so where it has not', async () => {
    const page = await signedIn(`/?segment=${SAMPLED_COHORT}`);
    await page.locator('table.routes tbody tr').first().waitFor();
    const raw = (await (await fetch(`${origin()}/v1/report`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      segments?: Array<{ segment: string; pairs: number }>;
    };
    if (raw.segments === undefined) {
      // This collector's report has no segments: the control is not offered, the filter in the address not applied.
      expect(await page.getByText('Segment filter: not available from this collector.').count()).toBe(1);
      expect(await page.getByText('The filters in the address were not applied').count()).toBe(1);
      expect(await page.locator('table.routes tbody tr').count()).toBe(report.routes.length);
    } else {
      const select = page.getByLabel('Segment');
      expect(await select.inputValue()).toBe(SAMPLED_COHORT);
      expect(await select.locator('option').allTextContents()).toContain(`${SAMPLED_COHORT} (${ORDERS + USERS + CARTS} pairs)`);
      await select.selectOption('');
      await page.waitForURL(`${origin()}/`);
    }
    // No shadow versions or time buckets here: the picker and the timeline say they are not available.
    const versions = await fetch(`${origin()}/v1/experiments`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (versions.status === 404) expect(await page.getByText('Shadow versions: not available from this collector.').count()).toBe(1);
    else expect(await page.getByLabel('Shadow version').count()).toBe(1);
  });

  it('updates itself while traffic flows, keeping the page', async () => {
    const page = await signedIn('/');
    const users = page.locator('table.routes tbody tr[data-route="GET /users/{id}"] td').first();
    await users.waitFor();
    expect(await users.textContent()).toBe(String(USERS));
    // Focus on a link the user reached: a reload must not take it away.
    await page.getByRole('link', { name: 'GET /orders/{id}', exact: true }).focus();
    const { stack } = compared();
    for (const [index, path] of range('/users/', 4)
      .map((p) => p.replace('/users/', '/users/10'))
      .entries()) {
      const response = await stack.send(path, { 'x-cohort': SAMPLED_COHORT, 'x-user-id': `late${index}` });
      await response.arrayBuffer();
    }
    await page.waitForFunction(
      (expected) => document.querySelector('table.routes tbody tr[data-route="GET /users/{id}"] td')?.textContent === expected,
      String(USERS + 4),
      { timeout: 30_000 },
    );
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('GET /orders/{id}');
    expect(await page.getByText(/Updated \d+ s ago/).count()).toBe(1);
  });

  it('made no request outside the collector', () => {
    const requested = pages.flatMap((recorded) => recorded.requests);
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => new URL(url).origin !== new URL(origin()).origin)).toEqual([]);
    expect(requested.some((url) => url.includes('/ui/assets/'))).toBe(true);
    expect(requested.some((url) => url.includes('/v1/report'))).toBe(true);
  });
});
