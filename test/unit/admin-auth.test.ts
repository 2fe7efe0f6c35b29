/** The admin gate (hono/bearer-auth behind it): Bearer parsing and the timing-safe comparison's verdicts. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { requireAdminToken } from '../../src/admin/admin-auth.js';

type Access = 'off' | 'missing' | 'wrong' | 'granted';

/** What the gate decides for one `Authorization` header against the configured token (`null` = admin off). */
async function adminAccess(header: string | undefined, token: string | null): Promise<Access> {
  const app = new Hono();
  app.use(
    '*',
    requireAdminToken(() => token),
  );
  app.get('/', (c) => c.text('in'));
  const res = await app.request('/', header === undefined ? {} : { headers: { authorization: header } });
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const body = await res.text();
  switch (res.status) {
    case 404:
      assert.equal(body, '{"error":"not found"}');
      return 'off';
    case 200:
      return 'granted';
    case 401: {
      const challenge = res.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer realm="xiaozhi-ota-proxy"/);
      assert.equal((JSON.parse(body) as { error: string }).error, 'unauthorized');
      return challenge.includes('error="invalid_token"') ? 'wrong' : 'missing';
    }
    default:
      throw new Error(`unexpected status ${res.status}`);
  }
}

describe('admin token', () => {
  test('reads the token of a Bearer header, any scheme casing', async () => {
    assert.equal(await adminAccess('Bearer abc', 'abc'), 'granted');
    assert.equal(await adminAccess('bearer   abc ', 'abc'), 'granted');
    assert.equal(await adminAccess('BEARER abc', 'abc'), 'granted');
    assert.equal(await adminAccess('Basic YWJj', 'abc'), 'missing');
    assert.equal(await adminAccess('Bearer', 'abc'), 'missing');
    assert.equal(await adminAccess('Bearer a b', 'abc'), 'missing');
    assert.equal(await adminAccess(undefined, 'abc'), 'missing');
  });

  test('compares secrets of any length', async () => {
    assert.equal(await adminAccess('Bearer s3cret', 's3cret'), 'granted');
    assert.equal(await adminAccess('Bearer s3cret', 's3cre'), 'wrong');
    assert.equal(await adminAccess('Bearer ', 's3cret'), 'missing');
    assert.equal(await adminAccess(`Bearer ${'x'.repeat(1000)}`, 's3cret'), 'wrong');
  });

  test('off without a token, missing, wrong, granted', async () => {
    assert.equal(await adminAccess('Bearer s3cret', null), 'off');
    assert.equal(await adminAccess(undefined, 's3cret'), 'missing');
    assert.equal(await adminAccess('Token s3cret', 's3cret'), 'missing');
    assert.equal(await adminAccess('Bearer nope', 's3cret'), 'wrong');
    assert.equal(await adminAccess('Bearer s3cret', 's3cret'), 'granted');
  });

  test('the token is read per request: a changed token applies at once', async () => {
    let token: string | null = 'first';
    const app = new Hono();
    app.use(
      '*',
      requireAdminToken(() => token),
    );
    app.get('/', (c) => c.text('in'));
    const status = async (header: string): Promise<number> =>
      (await app.request('/', { headers: { authorization: header } })).status;
    assert.equal(await status('Bearer first'), 200);
    token = 'second';
    assert.equal(await status('Bearer first'), 401);
    assert.equal(await status('Bearer second'), 200);
    token = null;
    assert.equal(await status('Bearer second'), 404);
  });
});
