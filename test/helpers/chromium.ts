import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core (which downloads no browser). A missing binary fails the
 * test that needs it, loudly: CI installs it (.ci/run), and a skipped browser test would pass silently.
 */

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  /** Requests the pages tried to send off loopback (refused): a page that works offline sends none. */
  offLoopback: string[];
  /** Stops the browser this helper started, and removes its profile. */
  close(): Promise<void>;
}

export async function openChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the status page's browser test needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)`,
    );
  }
  // A fresh profile per run: nothing cached or remembered from another test.
  const profile = await mkdtemp(join(tmpdir(), 'iam-onboarding-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  // Only the page's own origin: a request elsewhere (a CDN font, a script) would fail the page visibly.
  const offLoopback: string[] = [];
  await context.route(/^(?!http:\/\/(127\.0\.0\.1|localhost)[:/])/, (route) => {
    offLoopback.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return {
    context,
    offLoopback,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
