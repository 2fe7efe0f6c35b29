/**
 * The console's sessions and CSRF tokens (src/admin/console/session.ts), its redirect guard, and over real
 * sockets: a session survives nothing but its own token — reloading `admin.token` ends every session.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { safeNext } from '../../src/admin/console/console-app.js';
import { CheckRate, CHECK_RATE_MINUTES } from '../../src/admin/console/check-rate.js';
import {
  csrfHolds,
  csrfToken,
  issueSession,
  readSession,
  SESSION_LIFETIME_MS,
  sessionKey,
} from '../../src/admin/console/session.js';
import { startHarness } from '../helpers/proxy-harness.js';

const T0 = 1_796_000_000_000;

describe('console session cookie', () => {
  const key = sessionKey('token-one');

  test('a cookie it issued reads back until it expires', () => {
    const { value, session } = issueSession(key, T0);
    assert.deepEqual(readSession(key, value, T0 + 1000), session);
    assert.deepEqual(readSession(key, value, T0 + SESSION_LIFETIME_MS - 1), session);
    assert.equal(readSession(key, value, T0 + SESSION_LIFETIME_MS), null);
  });

  test('another token, a changed field or a forged signature reads as no session', () => {
    const { value } = issueSession(key, T0);
    assert.equal(readSession(sessionKey('token-two'), value, T0 + 1), null);
    const [issued, expires, nonce, mac] = value.split('.') as [string, string, string, string];
    // A later expiry with the old signature.
    assert.equal(readSession(key, `${issued}.${Number(expires) + 1}.${nonce}.${mac}`, T0 + 1), null);
    assert.equal(readSession(key, `${issued}.${expires}.${nonce}.${mac.slice(0, -2)}AA`, T0 + 1), null);
    for (const junk of ['', 'a.b.c.d', `${issued}.${expires}.${nonce}`, `${value}.x`, undefined])
      assert.equal(readSession(key, junk, T0 + 1), null, String(junk));
  });

  test('a CSRF token holds for its own session only', () => {
    const one = issueSession(key, T0).session;
    const two = issueSession(key, T0).session;
    assert.notEqual(one.nonce, two.nonce);
    assert.equal(csrfHolds(key, one, csrfToken(key, one)), true);
    assert.equal(csrfHolds(key, two, csrfToken(key, one)), false);
    assert.equal(csrfHolds(sessionKey('token-two'), one, csrfToken(key, one)), false);
    for (const given of [undefined, '', 'x', 42, null]) assert.equal(csrfHolds(key, one, given), false);
  });
});

describe('console redirects stay inside the console', () => {
  test('only console paths are followed', () => {
    for (const ok of ['/admin/console/', '/admin/console/devices?q=02', '/admin/console'])
      assert.equal(safeNext(ok), ok);
    for (const bad of [
      'https://evil.example/',
      '//evil.example/admin/console/',
      '/admin/api/devices',
      '/admin/console//evil.example',
      '/admin/console/../api/devices',
      '/admin/console/\\evil',
      '/admin/consolex',
      undefined,
    ])
      assert.equal(safeNext(bad), '/admin/console/', String(bad));
  });
});

describe('checks per minute', () => {
  test('counts per minute, clears minutes that passed, keeps the window', () => {
    const rate = new CheckRate();
    const m = 60_000;
    rate.count(T0);
    rate.count(T0 + 1);
    rate.count(T0 + 3 * m);
    const series = rate.series(T0 + 3 * m);
    assert.equal(series.length, CHECK_RATE_MINUTES);
    assert.deepEqual(
      series.slice(-4).map((p) => p.checks),
      [2, 0, 0, 1],
    );
    // A whole window later, everything has gone.
    const later = rate.series(T0 + (CHECK_RATE_MINUTES + 4) * m);
    assert.equal(
      later.reduce((sum, p) => sum + p.checks, 0),
      0,
    );
    // A check older than the window is not counted.
    rate.count(T0);
    assert.equal(
      rate.series(T0 + (CHECK_RATE_MINUTES + 4) * m).reduce((sum, p) => sum + p.checks, 0),
      0,
    );
  });
});

describe('console sessions over the wire', () => {
  test('reloading admin.token ends every session; the new token logs in', async () => {
    const h = await startHarness({ yaml: 'admin:\n  token: first-token-abc\n' });
    try {
      const base = h.proxy.url;
      const login = async (token: string) =>
        fetch(`${base}/admin/console/login`, {
          method: 'POST',
          body: new URLSearchParams({ token, next: '/admin/console/audit' }),
          redirect: 'manual',
        });
      const ok = await login('first-token-abc');
      assert.equal(ok.status, 303);
      assert.equal(ok.headers.get('location'), '/admin/console/audit');
      const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      assert.match(cookie, /^xop_console=/);
      const page = await fetch(`${base}/admin/console/audit`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('cache-control'), 'no-store');

      const config = join(h.dir, 'proxy.yaml');
      writeFileSync(config, readFileSync(config, 'utf8').replace('first-token-abc', 'second-token-xyz'));
      assert.equal((await h.proxy.reload('test')).ok, true);
      const ended = await fetch(`${base}/admin/console/audit`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(ended.status, 303);
      assert.match(ended.headers.get('location') ?? '', /^\/admin\/console\/login\?next=.*&note=expired$/);
      assert.equal((await login('first-token-abc')).status, 403);
      assert.equal((await login('second-token-xyz')).status, 303);
    } finally {
      await h.close();
    }
  });

  test('with admin.token null the console does not exist (404)', async () => {
    const h = await startHarness();
    try {
      for (const path of ['/admin/', '/admin/console/', '/admin/console/login'])
        assert.equal((await fetch(`${h.proxy.url}${path}`, { redirect: 'manual' })).status, 404, path);
    } finally {
      await h.close();
    }
  });
});
