/**
 * Browser-test harness: builds the web page from the current sources (Vite, into a temporary folder), serves it with
 * `sepconv serve`'s static server, and drives Debian's Chromium through playwright-core (never a downloaded
 * browser). Without Chromium the tests skip with the line that installs it.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { startStaticServer, type StaticServer } from '../../src/cli/commands/serve.js';

export const CHROMIUM_PATH = process.env.SEPCONV_CHROMIUM ?? '/usr/bin/chromium';

/** False when the browser tests can run, else why not (node:test's `skip` takes either). */
export const skipBrowserTests: string | false = existsSync(CHROMIUM_PATH) ? false
  : `Chromium not found at ${CHROMIUM_PATH}; install it with 'apt-get update && apt-get install -y chromium' to run the web page tests`;

/** The repository root (this file runs from build/test/web/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test', 'web', 'screenshots');

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export interface Site {
  url: string;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Builds the page from the current sources, serves it and starts Chromium with a fresh profile. */
export async function openSite(): Promise<Site> {
  const work = mkdtempSync(join(tmpdir(), 'sepconv-web-test-'));
  const outDir = join(work, 'dist');
  await build({ configFile: join(REPO_ROOT, 'web', 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  let server: StaticServer | undefined;
  try {
    server = await startStaticServer(outDir);
    const context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, viewport: DESKTOP,
    });
    const site = server;
    return {
      url: site.url,
      context,
      close: async () => {
        await context.close();
        await site.close();
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/** A page with its console errors and uncaught exceptions collected. */
export interface WatchedPage {
  page: Page;
  errors: string[];
}

export async function openPage(site: Site, hash: string, viewport = DESKTOP): Promise<WatchedPage> {
  const page = await site.context.newPage();
  await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site.url}#${hash}`);
  return { page, errors };
}

/** Saves a full-page screenshot as test/web/screenshots/<name>.png (the folder is gitignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
