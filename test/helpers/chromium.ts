/**
 * Debian's Chromium driven by playwright-core (which downloads no browser of its own), for the
 * explorer's browser tests and its documentation screenshots. A missing Chromium is an error, not
 * a skip: the tests must run wherever the test command runs.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The browser binary: $LATENTLAB_CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.LATENTLAB_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `launchChromium: no Chromium at ${CHROMIUM}; the explorer's browser tests need one. ` +
        'Install it (Debian: apt-get install chromium; .ci/run does) or set LATENTLAB_CHROMIUM to a Chromium binary.',
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Polls `cond` from Node until it holds (pages' own conditions, waitForFunction, would be
 * evaluated as strings or need the DOM's types; the explorer's CSP forbids eval, rightly).
 */
export async function waitUntil(cond: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`waitUntil: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether every image `selector` matches has loaded and has pixels (naturalWidth > 0); false when there is none. */
export async function imagesLoaded(page: Page, selector: string): Promise<boolean> {
  const images = await page.locator(selector).all();
  const loaded = await Promise.all(images.map((l) => l.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0)));
  return loaded.length > 0 && loaded.every(Boolean);
}

/** The number an element shows (NaN when it shows none). */
export async function numberIn(page: Page, selector: string): Promise<number> {
  return Number((await page.textContent(selector)) ?? NaN);
}

/** A page of `browser` (1280 × 900) whose console errors and uncaught exceptions are collected into `problems`: a test fails on any of them (a CSP violation logs one). */
export async function watchedPage(browser: Browser, problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return page;
}
