/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser). Under CI=true a missing
 * browser fails; elsewhere the console's browser tests are skipped loudly.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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

/** The browser, or why there is none (thrown under CI=true). */
export async function launchChromium(): Promise<Browser | string> {
  if (!existsSync(CHROMIUM)) {
    const why = `no Chromium at ${CHROMIUM} (apt-get install chromium fonts-noto-cjk)`;
    if (process.env.CI === 'true') throw new Error(`${why}: CI=true requires it (.ci/run installs it)`);
    console.error(`\n!!! SKIPPING the console's browser tests: ${why} !!!\n`);
    return why;
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}
