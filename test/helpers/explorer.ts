/**
 * The set-up every explorer browser test file shares: its runs in a temporary folder, the explorer
 * serving them, Debian's Chromium with a watched page, and their teardown.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { launchChromium, watchedPage } from './chromium.js';

/** What an explorer browser test works with; `server`, `browser` and `page` are set once its `before` hook has run. */
export interface ExplorerTest {
  /** The test's temporary folder (deleted after the file's tests) and the runs folder in it. */
  readonly tmp: string;
  readonly root: string;
  server: RunningServer;
  browser: Browser;
  /** A watched page (see watchedPage): the file's last test asserts `problems` is empty. */
  page: Page;
  readonly problems: string[];
}

/**
 * Registers an explorer browser test file's hooks: `fill(root)` makes the runs while Chromium
 * starts, then the explorer serves them and a watched page opens; after the file's tests, `stop`
 * (the file's own teardown, e.g. killing a trainer), then the browser, the server and the folder go.
 */
export function explorerTest(name: string, fill: (root: string) => void | Promise<void>, stop?: () => void): ExplorerTest {
  const tmp = realpathSync(mkdtempSync(join(tmpdir(), `latentlab-${name}-`)));
  const ex = { tmp, root: join(tmp, 'runs'), problems: [] as string[] } as ExplorerTest;
  let launching: Promise<Browser> | null = null;
  before(async () => {
    launching = launchChromium();
    launching.catch(() => {}); // awaited below; until then a failure to launch must not count as unhandled
    mkdirSync(ex.root, { recursive: true });
    await fill(ex.root);
    ex.server = await startServer({ runsDir: ex.root, port: 0, pollMs: 250 });
    ex.browser = await launching;
    ex.page = await watchedPage(ex.browser, ex.problems);
  });
  after(async () => {
    stop?.();
    // A browser launched for a `fill` that then threw is closed too: it would keep the process alive.
    await (ex.browser ?? (await launching?.catch(() => null)))?.close();
    await ex.server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  return ex;
}
