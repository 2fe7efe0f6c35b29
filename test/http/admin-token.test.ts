/**
 * /admin/* is token-protected: off without admin.token (404), 401 when the token is missing or wrong, 200
 * with the right one; a browser opening /admin without credentials is sent to the console's login.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';

const TOKEN = 'op-token-7f3a';

async function get(url: string, authorization?: string): Promise<Response> {
  return fetch(url, authorization === undefined ? {} : { headers: { authorization } });
}

describe('admin token protection', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ yaml: `admin:\n  token: ${TOKEN}\n` });
  });
  after(() => h.close());

  test('/admin without credentials: a browser is sent to the console, whose login page shows nothing else', async () => {
    // docs/configuration.md: `GET /admin/` redirects to the console (docs/console.md); the list of
    // endpoints stays behind the token (below).
    for (const path of ['/admin', '/admin/']) {
      const res = await fetch(`${h.proxy.url}${path}`, { redirect: 'manual' });
      assert.equal(res.status, 302, path);
      assert.equal(new URL(res.headers.get('location') ?? '', h.proxy.url).pathname, '/admin/console/');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      await res.body?.cancel();
    }
    const page = await get(`${h.proxy.url}/admin`);
    const html = await page.text();
    assert.match(html, /<form[^>]+method="post"/i);
    assert.match(html, /type="password"/);
    assert.doesNotMatch(html, /exchanges|explain/);
  });

  for (const path of ['/admin', '/admin/exchanges', '/admin/api/devices']) {
    if (path !== '/admin')
      test(`${path}: missing token → 401 with a Bearer challenge`, async () => {
        const res = await get(`${h.proxy.url}${path}`);
        assert.equal(res.status, 401);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        await res.body?.cancel();
      });

    test(`${path}: wrong token → 401 invalid_token`, async () => {
      for (const auth of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer x', `Basic ${TOKEN}`]) {
        const res = await get(`${h.proxy.url}${path}`, auth);
        assert.equal(res.status, 401, auth);
        await res.body?.cancel();
      }
      const res = await get(`${h.proxy.url}${path}`, 'Bearer wrong');
      assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
      await res.body?.cancel();
    });

    // (The fleet is off in this harness: /admin/api answers 404 "fleet is off" past the token.)
    if (path !== '/admin/api/devices')
      test(`${path}: right token → 200`, async () => {
        const res = await get(`${h.proxy.url}${path}`, `Bearer ${TOKEN}`);
        assert.equal(res.status, 200);
        assert.equal(typeof (await res.json()), 'object');
      });
  }

  test('POST /admin/explain needs the token too', async () => {
    const res = await fetch(`${h.proxy.url}/admin/explain`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });

  test('/metrics, /healthz and /readyz need no token', async () => {
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      const res = await get(`${h.proxy.url}${path}`);
      assert.ok(res.status === 200 || res.status === 503, path);
      await res.body?.cancel();
    }
  });

  test('a reload that removes the token turns /admin off (404), one that sets it again turns it on', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const file = join(h.dir, 'proxy.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace(`admin:\n  token: ${TOKEN}\n`, ''));
    assert.equal((await h.proxy.reload('test')).ok, true);
    const off = await get(`${h.proxy.url}/admin/exchanges`, `Bearer ${TOKEN}`);
    assert.equal(off.status, 404);
    await off.body?.cancel();
    writeFileSync(file, original);
    assert.equal((await h.proxy.reload('test')).ok, true);
    const on = await get(`${h.proxy.url}/admin/exchanges`, `Bearer ${TOKEN}`);
    assert.equal(on.status, 200);
    await on.body?.cancel();
  });
});

describe('admin off', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({});
  });
  after(() => h.close());

  test('without admin.token every /admin path is 404, whatever is sent', async () => {
    for (const auth of [undefined, 'Bearer anything']) {
      const res = await get(`${h.proxy.url}/admin/exchanges`, auth);
      assert.equal(res.status, 404);
      await res.body?.cancel();
    }
  });
});
