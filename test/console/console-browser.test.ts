/**
 * The web console end to end (docs/console.md): the real proxy with the fleet on, a fake xiaozhi server,
 * a SQLite store, devices that check in over real sockets (V2Device), and a real headless Chromium.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildAppImage } from '../helpers/app-image.js';
import { startFleetProxy, type FleetProxy } from '../helpers/fleet-proxy.js';
import { V2Device } from '../helpers/v2-device.js';
import { launchChromium } from './browser.js';

const TOKEN = 'console-e2e-token-7f3a9c';
const XSS_BOARD = '<script>window.__xss=1</script>';
const XSS_AGENT_BOARD = '"><img src=x onerror="window.__xss=2">';
const XSS_VERSION = '1.0.0<svg onload=window.__xss=3>';

let browser: Browser | null = null;
let skip: string | null = null;
let p: FleetProxy;
let admin: string;
let mac = 0;

/** A new locally administered MAC per device. */
function nextMac(): string {
  mac += 1;
  return `02:00:00:c0:${(mac >> 8).toString(16).padStart(2, '0')}:${(mac & 0xff).toString(16).padStart(2, '0')}`;
}

async function newContext(
  options: { locale?: string; javaScriptEnabled?: boolean } = {},
): Promise<BrowserContext> {
  if (browser === null) throw new Error('no browser');
  return browser.newContext({
    locale: options.locale ?? 'en-US',
    javaScriptEnabled: options.javaScriptEnabled ?? true,
  });
}

async function logIn(page: Page, token = TOKEN): Promise<void> {
  await page.goto(`${admin}/admin/`);
  await page.fill('input[name=token]', token);
  await page.click('button[type=submit]');
}

/** Waits until the fleet has written and read back what the devices did. */
async function settle(): Promise<void> {
  await p.fleet.flush();
  await p.fleet.sync();
}

describe('web console in a real browser', () => {
  before(async () => {
    const launched = await launchChromium();
    if (typeof launched === 'string') {
      skip = launched;
      return;
    }
    browser = launched;
    p = await startFleetProxy({
      images: [{ board: 'bread-compact-wifi', version: '1.7.0' }],
      yaml: `admin:\n  token: ${TOKEN}\n  listen: 127.0.0.1:0\n`,
    });
    const url = p.h.proxy.adminUrl;
    if (url === null) throw new Error('no admin listener');
    admin = url;
  });

  after(async () => {
    await browser?.close();
    if (skip === null) await p.close();
  });

  test('a browser is sent to the login; a wrong token is refused; the token logs in', async (t) => {
    if (skip !== null) return t.skip(skip);
    const context = await newContext();
    const page = await context.newPage();
    const response = await page.goto(`${admin}/admin/`);
    assert.equal(new URL(page.url()).pathname, '/admin/console/login');
    assert.equal(response?.status(), 200);
    const headers = response?.headers() ?? {};
    assert.match(headers['content-security-policy'] ?? '', /default-src 'self'/);
    assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.equal(headers['x-frame-options'], 'DENY');
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['cache-control'], 'no-store');
    await logIn(page, 'not-the-token');
    assert.match(await page.locator('.notice.bad').innerText(), /not the admin token/);
    await logIn(page);
    assert.equal(new URL(page.url()).pathname, '/admin/console/');
    assert.equal(await page.locator('h1').innerText(), 'Overview');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'xop_console');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.ok(session.expires > Date.now() / 1000 && session.expires < Date.now() / 1000 + 13 * 3600);
    // The JSON API keeps taking the Bearer token only: the session cookie is no credential there.
    const api = await page.request.get(`${admin}/admin/api/devices`);
    assert.equal(api.status(), 401);
    await context.close();
  });

  test("a device's check appears in Devices, and its page shows its facts", async (t) => {
    if (skip !== null) return t.skip(skip);
    const device = new V2Device({
      mac: nextMac(),
      version: '1.6.0',
      port: p.port,
      board: 'bread-compact-wifi',
    });
    const { status } = await device.check();
    assert.equal(status, 200);
    await settle();
    const context = await newContext();
    const page = await context.newPage();
    await logIn(page);
    await page.goto(`${admin}/admin/console/devices?q=${encodeURIComponent(device.mac)}`);
    const row = page.locator('#devices tbody tr', { hasText: device.mac });
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /bread-compact-wifi/);
    assert.match(await row.innerText(), /1\.6\.0/);
    await row.locator('a').first().click();
    assert.equal(await page.locator('h1').innerText(), device.mac);
    assert.match(await page.locator('main').innerText(), /esp32s3/);
    // Its exchange from the ring, as a diff of what the proxy changed (the offer it added).
    assert.match(await page.locator('table.diff').first().innerText(), /firmware\.url/);
    // "Why this reply?" asks the live upstream and explains: the catalog's 1.7.0 is offered.
    const upstreamAsked = p.h.upstream.received.length;
    await page.click('form[action$="/explain"] button');
    const explanation = await page.locator('#explanation').innerText();
    assert.match(explanation, /Outcome: rewritten \(HTTP 200\)/);
    assert.match(explanation, /Firmware: bread-compact-wifi 1\.7\.0/);
    assert.equal(p.h.upstream.received.length, upstreamAsked + 1);
    await context.close();
  });

  test('reading works with JavaScript off', async (t) => {
    if (skip !== null) return t.skip(skip);
    const context = await newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await logIn(page);
    for (const path of ['/', '/devices', '/firmware', '/audit']) {
      const response = await page.goto(`${admin}/admin/console${path}`);
      assert.equal(response?.status(), 200, path);
      assert.ok((await page.locator('h1').innerText()).length > 0, path);
    }
    await context.close();
  });

  test('an uploaded image is checked, shown, added, and offered to the next device of that board; halted, it is not', async (t) => {
    if (skip !== null) return t.skip(skip);
    const context = await newContext();
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await logIn(page);
    await page.goto(`${admin}/admin/console/firmware`);
    // A refused image changes nothing and says why.
    await page.setInputFiles('input[name=image]', {
      name: 'not-an-image.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('this is not an ESP32 app image at all, just text'),
    });
    await page.fill('input[name=board]', 'esp-box-3');
    await page.click('#upload button[type=submit]');
    assert.match(await page.locator('.notice.bad').innerText(), /Refused — nothing was changed/);
    assert.equal(await page.locator('form[action$="/firmware/commit"]').count(), 0);
    // A good one: its version and chip are read from the image before anything is written.
    await page.goto(`${admin}/admin/console/firmware`);
    await page.setInputFiles('input[name=image]', {
      name: 'xiaozhi.bin',
      mimeType: 'application/octet-stream',
      buffer: buildAppImage({ version: '2.1.0', chipId: 9, size: 8192, seed: 5 }),
    });
    await page.fill('input[name=board]', 'esp-box-3');
    await page.fill('input[name=rollout]', '100');
    await page.click('#upload button[type=submit]');
    assert.equal(await page.locator('#preview-version').innerText(), '2.1.0');
    assert.equal(await page.locator('#preview-chip').innerText(), 'esp32s3');
    const before = await new V2Device({
      mac: nextMac(),
      version: '2.0.0',
      port: p.port,
      board: 'esp-box-3',
    }).check();
    assert.equal(before.reply?.firmware?.url ?? '', '', 'nothing is offered before the commit');
    await page.click('form[action$="/firmware/commit"] button');
    assert.match(await page.locator('.notice.ok').innerText(), /Added esp-box-3 2\.1\.0/);
    const row = page.locator('#catalog tbody tr', { hasText: 'esp-box-3' });
    assert.equal(await row.count(), 1);
    const entryId = await row.getAttribute('data-entry');
    assert.match(entryId ?? '', /^[0-9a-f]{12}$/);
    await settle();
    const offered = await new V2Device({
      mac: nextMac(),
      version: '2.0.0',
      port: p.port,
      board: 'esp-box-3',
    }).check();
    assert.equal(offered.reply?.firmware?.version, '2.1.0');
    assert.match(offered.reply?.firmware?.url ?? '', /esp-box-3-2\.1\.0\.bin$/);

    // The rollout percentage, changed through the same service as PATCH /admin/api/catalog/{entry_id}.
    await row.locator('input[name=rollout]').fill('0');
    await row.locator('button', { hasText: 'Set' }).click();
    assert.match(await page.locator('.notice.ok').innerText(), /The rollout percentage is now 0 %/);
    assert.match(readFileSync(join(p.h.dir, 'firmware', 'catalog.yaml'), 'utf8'), /rollout: 0\b/);
    await settle();
    const outside = await new V2Device({
      mac: nextMac(),
      version: '2.0.0',
      port: p.port,
      board: 'esp-box-3',
    }).check();
    assert.equal(outside.reply?.firmware?.url ?? '', '', 'rollout 0 % offers nothing');
    await page
      .locator('#catalog tbody tr', { hasText: 'esp-box-3' })
      .locator('input[name=rollout]')
      .fill('100');
    await page
      .locator('#catalog tbody tr', { hasText: 'esp-box-3' })
      .locator('button', { hasText: 'Set' })
      .click();
    assert.match(await page.locator('.notice.ok').innerText(), /now 100 %/);

    // Halt from the console: the next device of that board is not offered it.
    await page
      .locator('#catalog tbody tr', { hasText: 'esp-box-3' })
      .locator('button', { hasText: 'Halt' })
      .click();
    assert.match(await page.locator('.notice.ok').innerText(), /The rollout is halted/);
    await settle();
    const halted = await new V2Device({
      mac: nextMac(),
      version: '2.0.0',
      port: p.port,
      board: 'esp-box-3',
    }).check();
    assert.notEqual(halted.reply?.firmware?.version, '2.1.0');
    assert.equal(halted.reply?.firmware?.url ?? '', '');
    // The audit says who did what, and by which means.
    await page.goto(`${admin}/admin/console/audit`);
    const audit = await page.locator('#audit tbody').innerText();
    assert.match(audit, /rollout\.halt/);
    assert.match(audit, /console/);
    // Resume: offered again.
    await page.goto(`${admin}/admin/console/firmware`);
    await page
      .locator('#catalog tbody tr', { hasText: 'esp-box-3' })
      .locator('button', { hasText: 'Resume' })
      .click();
    assert.match(await page.locator('.notice.ok').innerText(), /resumed/);
    await settle();
    const resumed = await new V2Device({
      mac: nextMac(),
      version: '2.0.0',
      port: p.port,
      board: 'esp-box-3',
    }).check();
    assert.equal(resumed.reply?.firmware?.version, '2.1.0');
    await context.close();
  });

  test('what devices send runs nothing: board, User-Agent and version with markup are shown as text', async (t) => {
    if (skip !== null) return t.skip(skip);
    const devices = [
      new V2Device({ mac: nextMac(), version: '1.6.0', port: p.port, board: XSS_BOARD }),
      new V2Device({ mac: nextMac(), version: '1.6.0', port: p.port, board: XSS_AGENT_BOARD }),
      new V2Device({ mac: nextMac(), version: XSS_VERSION, port: p.port, board: 'bread-compact-wifi' }),
    ];
    for (const d of devices) assert.equal((await d.check()).status, 200);
    await settle();
    const context = await newContext();
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await logIn(page);
    const pages = [
      '/',
      '/devices',
      ...devices.map((d) => `/devices/${encodeURIComponent(d.mac)}`),
      `/devices?board=${encodeURIComponent(XSS_BOARD)}`,
    ];
    for (const path of pages) {
      await page.goto(`${admin}/admin/console${path}`);
      assert.equal(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss), undefined, path);
      assert.equal(await page.locator('img[src="x"]').count(), 0, path);
      assert.equal(await page.locator('main svg[onload]').count(), 0, path);
      assert.equal(await page.locator('main script').count(), 0, path);
    }
    await page.goto(`${admin}/admin/console/devices`);
    const text = await page.locator('#devices').innerText();
    assert.ok(text.includes(XSS_BOARD), 'the board is visible as text');
    assert.ok(text.includes(XSS_AGENT_BOARD), 'the User-Agent board is visible as text');
    assert.ok(text.includes(XSS_VERSION), 'the version is visible as text');
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a change without the CSRF token, or from another site, is refused (403) and changes nothing', async (t) => {
    if (skip !== null) return t.skip(skip);
    const context = await newContext();
    const page = await context.newPage();
    await logIn(page);
    const rollouts = await p.fleet.rollouts(p.h.proxy.app.runtime.catalog());
    const entry = rollouts.find((r) => r.board === 'bread-compact-wifi');
    assert.ok(entry && entry.halted === null);
    const url = `${admin}/admin/console/firmware/${entry.entry_id}/halt`;
    const none = await page.request.post(url, { form: { back: '/admin/console/' }, maxRedirects: 0 });
    assert.equal(none.status(), 403);
    const wrong = await page.request.post(url, {
      form: { _csrf: 'forged', back: '/admin/console/' },
      maxRedirects: 0,
    });
    assert.equal(wrong.status(), 403);
    // The right token from a page of another site (a forged Origin) is refused too.
    await page.goto(`${admin}/admin/console/firmware`);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const foreign = await page.request.post(url, {
      form: { _csrf: csrf },
      headers: { Origin: 'http://evil.example' },
      maxRedirects: 0,
    });
    assert.equal(foreign.status(), 403);
    // No session: sent to the login, nothing done.
    const anonymous = await (
      await newContext()
    ).request.post(url, { form: { _csrf: csrf }, maxRedirects: 0 });
    assert.equal(anonymous.status(), 303);
    await settle();
    const after = await p.fleet.rollouts(p.h.proxy.app.runtime.catalog());
    assert.equal(after.find((r) => r.entry_id === entry.entry_id)?.halted, null);
    const audit = await p.fleet.auditLog(100);
    assert.equal(audit.filter((a) => a.target === entry.entry_id).length, 0);
    await context.close();
  });

  test('logout ends the session', async (t) => {
    if (skip !== null) return t.skip(skip);
    const context = await newContext();
    const page = await context.newPage();
    await logIn(page);
    const cookie = (await context.cookies()).find((c) => c.name === 'xop_console');
    assert.ok(cookie);
    await page.click('form[action$="/logout"] button');
    assert.equal(new URL(page.url()).pathname, '/admin/console/login');
    assert.match(await page.locator('.notice.ok').innerText(), /logged out/);
    await page.goto(`${admin}/admin/console/devices`);
    assert.equal(new URL(page.url()).pathname, '/admin/console/login');
    assert.equal(
      (await context.cookies()).find((c) => c.name === 'xop_console'),
      undefined,
    );
    await context.close();
  });

  test('the Chinese console: chosen from Accept-Language, switchable, remembered', async (t) => {
    if (skip !== null) return t.skip(skip);
    const context = await newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`${admin}/admin/`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    assert.equal(await page.locator('h1').innerText(), '登录');
    await logIn(page);
    assert.equal(await page.locator('h1').innerText(), '概览');
    await page.goto(`${admin}/admin/console/devices`);
    assert.equal(await page.locator('h1').innerText(), '设备');
    assert.match(await page.locator('#devices-count').innerText(), /台设备符合条件/);
    await page.click('a[hreflang=en]');
    assert.equal(new URL(page.url()).pathname, '/admin/console/devices');
    assert.equal(await page.locator('h1').innerText(), 'Devices');
    // Remembered: the next page stays English although the browser prefers Chinese.
    await page.goto(`${admin}/admin/console/firmware`);
    assert.equal(await page.locator('h1').innerText(), 'Firmware');
    await page.click('a[hreflang=zh-CN]');
    assert.equal(await page.locator('h1').innerText(), '固件');
    await context.close();
  });
});
