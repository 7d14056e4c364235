import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, buildKafkaApp } from '../../../collector/http/app.js';
import { loadUiBundle, UI_CONTENT_SECURITY_POLICY, type UiBundle } from '../../../collector/http/uiRoutes.js';
import { config } from '../fixtures.js';

describe('the web UI served by the collector', () => {
  let dir: string;
  let bundle: UiBundle | null;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shadowdiff-ui-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="/ui/assets/app-AB12.js"></script>');
    await writeFile(join(dir, 'assets', 'app-AB12.js'), 'console.log(1)');
    await writeFile(join(dir, 'assets', 'app-CD34.css'), 'body{}');
    bundle = loadUiBundle(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const app = (ui: UiBundle | null, token = 'report-secret') =>
    buildApp({
      config: config((c) => {
        c.reportToken = token;
      }),
      defaultMetrics: false,
      ui,
    });

  it('answers the shell at each page path, without the token, uncached, under a same-origin policy', async () => {
    const served = app(bundle);
    for (const url of [
      '/',
      '/routes/GET%20%2Forders%2F%7Bid%7D',
      `/routes/${encodeURIComponent(`GET /${'x'.repeat(1500)}`)}`,
      '/pairs/f95bfd874eb963a0',
    ]) {
      const response = await served.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.body).toContain('/ui/assets/app-AB12.js');
    }
    // The data stays behind the token.
    expect((await served.inject({ method: 'GET', url: '/v1/report' })).statusCode).toBe(401);
  });

  it('answers the hashed assets with their content type, cached for good, and 404 for any other name', async () => {
    const served = app(bundle);
    const js = await served.inject({ method: 'GET', url: '/ui/assets/app-AB12.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    const css = await served.inject({ method: 'GET', url: '/ui/assets/app-CD34.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const missing = await served.inject({ method: 'GET', url: '/ui/assets/..%2Findex.html' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('without a build answers 503 naming npm run build:ui, and the API keeps working', async () => {
    expect(loadUiBundle(join(dir, 'nowhere'))).toBeNull();
    const served = app(null, '');
    for (const url of ['/', '/pairs/x', '/ui/assets/app-AB12.js']) {
      const response = await served.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'UI_NOT_BUILT' } });
      expect(response.json().error.message).toContain('npm run build:ui');
    }
    expect((await served.inject({ method: 'GET', url: '/v1/report' })).statusCode).toBe(200);
  });

  it("is not served by Kafka mode's ingest and join roles, which have no report", async () => {
    const served = buildKafkaApp({ config: config(), producer: null, join: null, defaultMetrics: false });
    expect((await served.inject({ method: 'GET', url: '/' })).statusCode).toBe(404);
  });
});
