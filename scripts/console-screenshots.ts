/**
 * `npm run screenshots`: the console's pages in English and 简体中文, from a seeded fleet, into
 * docs/console/*.png (docs/console.md shows them). A real proxy with the fleet on (SQLite), a fake xiaozhi
 * server, simulated v2 devices that check in, download, install or fail; Debian's Chromium
 * (playwright-core, never a downloaded browser; Chinese needs fonts-noto-cjk).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFleetProxy, type FleetProxy } from '../test/helpers/fleet-proxy.js';
import { V2Device, type AfterFlash, type DownloadPlan } from '../test/helpers/v2-device.js';
import { launchChromium } from '../test/console/browser.js';

const TOKEN = 'screenshot-token-0000';
const OUT = join(new URL('..', import.meta.url).pathname, 'docs', 'console');

async function seed(p: FleetProxy): Promise<string> {
  let n = 0;
  const device = (board: string, version: string): V2Device => {
    n += 1;
    const mac = `02:1a:7c:${(n >> 16).toString(16).padStart(2, '0')}:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
    return new V2Device({ mac, version, port: p.port, board, chip: 'esp32s3' });
  };
  const boot = async (d: V2Device, download: DownloadPlan = 'full', after: AfterFlash = 'keep') => {
    await d.boot({ download, after });
    if (download === 'full') await d.boot({ download, after });
  };
  // A healthy rollout: most install, one is still downloading (skipped: never fetched yet).
  for (let i = 0; i < 14; i++) await boot(device('bread-compact-wifi', i < 3 ? '1.6.0' : '1.6.2'));
  await boot(device('bread-compact-wifi', '1.6.2'), 'skip');
  // Devices the catalog has nothing newer for.
  for (let i = 0; i < 9; i++) await device('m5stack-core-s3', i < 6 ? '1.7.1' : '1.6.8').check();
  for (let i = 0; i < 5; i++) await device('lichuang-dev', '1.5.9').check();
  // A bad image: rejected by the bootloader on three devices, the rollout halts itself.
  for (let i = 0; i < 4; i++) await boot(device('esp-box-3', '1.6.4'), 'full', 'reject');
  for (let i = 0; i < 2; i++) await boot(device('esp-box-3', '1.6.4'), 'cut');
  const last = device('bread-compact-wifi', '1.6.2');
  await boot(last);
  await p.fleet.flush();
  await p.fleet.sync();
  return last.mac;
}

async function main(): Promise<void> {
  const browser = await launchChromium();
  if (typeof browser === 'string') throw new Error(browser);
  const p = await startFleetProxy({
    images: [
      { board: 'bread-compact-wifi', version: '1.7.0' },
      { board: 'esp-box-3', version: '1.7.0' },
      { board: 'm5stack-core-s3', version: '1.7.1', extra: '  rollout: 25' },
    ],
    yaml: `admin:\n  token: ${TOKEN}\n  listen: 127.0.0.1:0\n`,
    fleetYaml: '  silent_after_download_minutes: 0.02\n',
  });
  try {
    const admin = p.h.proxy.adminUrl;
    if (admin === null) throw new Error('no admin listener');
    const mac = await seed(p);
    // Let the attempts of the bad image settle (fold, count, halt).
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await p.fleet.flush();
      await p.fleet.sync();
    }
    mkdirSync(OUT, { recursive: true });
    for (const lang of ['en', 'zh-CN'] as const) {
      const context = await browser.newContext({
        locale: lang === 'en' ? 'en-US' : 'zh-CN',
        viewport: { width: 1280, height: 860 },
        deviceScaleFactor: 1,
        colorScheme: 'light',
      });
      const page = await context.newPage();
      await page.goto(`${admin}/admin/console/login`);
      await page.screenshot({ path: join(OUT, `login.${lang}.png`) });
      await page.fill('input[name=token]', TOKEN);
      await page.click('button[type=submit]');
      const shots: [string, string][] = [
        ['overview', '/admin/console/'],
        ['devices', '/admin/console/devices'],
        ['device', `/admin/console/devices/${encodeURIComponent(mac)}`],
        ['firmware', '/admin/console/firmware'],
        ['audit', '/admin/console/audit'],
      ];
      for (const [name, path] of shots) {
        await page.goto(`${admin}${path}`);
        await page.screenshot({ path: join(OUT, `${name}.${lang}.png`), fullPage: true });
        console.log(`docs/console/${name}.${lang}.png`);
      }
      await context.close();
    }
    // One phone-sized page in dark mode, to show both.
    const phone = await browser.newContext({
      locale: 'en-US',
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    const page = await phone.newPage();
    await page.goto(`${admin}/admin/console/login`);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.goto(`${admin}/admin/console/devices`);
    await page.screenshot({ path: join(OUT, 'devices.phone-dark.en.png') });
    console.log('docs/console/devices.phone-dark.en.png');
    await phone.close();
  } finally {
    await browser.close();
    await p.close();
  }
}

await main();
