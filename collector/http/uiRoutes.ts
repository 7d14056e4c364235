// The web UI (collector/ui/, bundled by `npm run build:ui` into build/ui/): its pages and assets,
// read once at start-up and served from memory. The shell holds no data (every number comes from
// the report API, behind reportToken), so it is public. The content security policy allows
// nothing but this origin: the pages can make no request outside the collector.

import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CollectorError } from './errors.js';

/** Where `npm run build:ui` writes the bundle: index.html and assets/ with hashed names. */
export const UI_BUILD_DIR = fileURLToPath(new URL('../../build/ui', import.meta.url));

/** The pages; each answers the same index.html and the UI routes on the client (History API). */
export const UI_PAGES = ['/', '/routes/*', '/pairs/:id'] as const;
export const UI_ASSETS_PATH = '/ui/assets/';

export const UI_CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Asset {
  body: Buffer;
  contentType: string;
}

export interface UiBundle {
  index: Buffer;
  /** by file name under assets/ */
  assets: ReadonlyMap<string, Asset>;
}

/** The bundle in `dir`, or null when it was not built (no index.html). */
export function loadUiBundle(dir = UI_BUILD_DIR): UiBundle | null {
  let index: Buffer;
  try {
    index = readFileSync(join(dir, 'index.html'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(join(dir, 'assets'))) {
    assets.set(name, {
      body: readFileSync(join(dir, 'assets', name)),
      contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    });
  }
  return { index, assets };
}

function secured(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', UI_CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}

/** The pages and assets; without a bundle they answer 503 UI_NOT_BUILT, and the API is unaffected. */
export function registerUiRoutes(app: FastifyInstance, bundle: UiBundle | null): void {
  const notBuilt = (): never => {
    throw new CollectorError('UI_NOT_BUILT', `the web UI is not in ${UI_BUILD_DIR}: run \`npm run build:ui\`, then restart the collector`);
  };
  for (const page of UI_PAGES) {
    app.get(page, async (_request, reply) => {
      if (bundle === null) return notBuilt();
      // The shell names the current hashed assets: always revalidated, so a new build shows at once.
      return secured(reply).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(bundle.index);
    });
  }
  app.get<{ Params: { name: string } }>(`${UI_ASSETS_PATH}:name`, async (request, reply) => {
    if (bundle === null) return notBuilt();
    const asset = bundle.assets.get(request.params.name);
    if (asset === undefined) throw new CollectorError('NOT_FOUND', `no web UI asset ${request.params.name}`);
    // Names carry their content's hash: a changed file is a new name.
    return secured(reply).header('cache-control', 'public, max-age=31536000, immutable').type(asset.contentType).send(asset.body);
  });
}
