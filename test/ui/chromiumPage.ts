// Debian's Chromium driven by playwright-core for the web UI's browser tests: launched headless
// from CHROMIUM_PATH (provisioned by pretest; a missing or broken one fails the tests, never skips
// them), each page recording every request it makes, screenshots kept in test/artifacts/ui/.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_PATH, PROJECT_ROOT } from '../../devkit/paths.js';

export const UI_ARTIFACTS = join(PROJECT_ROOT, 'test', 'artifacts', 'ui');

export async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  } catch (error) {
    throw new Error(
      `${CHROMIUM_PATH} could not be launched (npm test installs it: npx tsx scripts/provisionTestTools.ts): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

export interface RecordedPage {
  page: Page;
  /** every URL the page requested, in order */
  requests: string[];
}

/** A fresh context (no session storage) at a laptop's size. */
export async function openRecordedPage(browser: Browser): Promise<RecordedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  return { page, requests };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(UI_ARTIFACTS, { recursive: true });
  const path = join(UI_ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
