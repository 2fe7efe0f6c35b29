/**
 * Redaction cannot be bypassed: keys written with JSON escapes (`"tok\u0065n"`, `"pass\u0077ord"`), a
 * `?token=` in a URL's query (in a body, in the device's request path, in a configured template), and a
 * number or an object under a secret key all show `[redacted]` — never the secret — in /admin/exchanges
 * and /admin/explain, live and given.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExchangeView } from '../../src/admin/exchanges.js';
import type { Explanation } from '../../src/admin/explain.js';
import { readCapture } from '../helpers/captures.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const AUTH = { authorization: 'Bearer rd-token' };

/** An OTA reply whose secrets hide behind escaped keys and a URL query (written by hand: the escapes stay). */
const ESCAPED_REPLY =
  '{"server_time":{"timestamp":1795300269824,"timezone_offset":480},' +
  '"firmware":{"version":"1.6.0","url":""},' +
  '"websocket":{"url":"ws://172.21.0.5:8000/xiaozhi/v1/?token=QUERYSECRET&v=1","tok\\u0065n":"ESCAPEDTOKEN","version":3},' +
  '"mqtt":{"endpoint":"mqtt.example:1883","client_id":"GID_test@@@aa_bb","username":"u",' +
  '"pass\\u0077ord":"ESCAPEDPASSWORD","publish_topic":"device-server","subscribe_topic":"null"}}';

/** Secrets that are not strings: a number under `token`, an object under `password`. */
const TYPED_REPLY =
  '{"server_time":{"timestamp":1795300269824,"timezone_offset":480},' +
  '"websocket":{"url":"ws://172.21.0.5:8000/xiaozhi/v1/","token":987654321987,"version":3},' +
  '"mqtt":{"endpoint":"mqtt.example:1883","client_id":"c","username":"u","Password":{"v":"OBJECTSECRET"}}}';

const SECRETS = [
  'ESCAPEDTOKEN',
  'ESCAPEDPASSWORD',
  'QUERYSECRET',
  '987654321987',
  'OBJECTSECRET',
  'PATHSECRET',
  'CONFIGSECRET',
];

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.equal(text.includes(secret), false, `${secret} shows in ${where}`);
  assert.match(text, /\[redacted\]/, where);
}

/** The captured device request, as explain input. */
function capturedRequest(): { headers: [string, string][]; body: string } {
  const message = readCapture('python-default-post', 'request');
  const headers = message.headers
    .filter(([name]) => !['content-length', 'connection'].includes(name.toLowerCase()))
    .map(([name, value]): [string, string] => [
      name,
      name.toLowerCase() === 'host' ? '192.168.1.10:8003' : value,
    ]);
  return { headers, body: message.body.toString('utf8') };
}

/** The captured device request sent to the OTA path with secrets in its query. */
function deviceCheckWithQuery(): string {
  const message = readCapture('python-default-post', 'request');
  const lines = ['POST /xiaozhi/ota/?token=PATHSECRET&Pass%77ord=PATHSECRET HTTP/1.1'];
  for (const [name, value] of message.headers)
    if (name.toLowerCase() !== 'connection') lines.push(`${name}: ${value}`);
  lines.push('Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n${message.body.toString('utf8')}`;
}

describe('redaction that cannot be bypassed', () => {
  let h: Harness;
  let reply: Reply = { kind: 'text', body: ESCAPED_REPLY, headers: { 'content-type': 'application/json' } };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      yaml: 'admin:\n  token: rd-token\nwebsocket:\n  url: ws://{host}:8000/xiaozhi/v1/?token=CONFIGSECRET\n',
    });
  });
  after(() => h.close());

  const explain = async (input: unknown): Promise<Explanation> => {
    const res = await fetch(`${h.proxy.url}/admin/explain`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as Explanation;
  };
  const exchanges = async (): Promise<ExchangeView[]> => {
    const res = await fetch(`${h.proxy.url}/admin/exchanges`, { headers: AUTH });
    assert.equal(res.status, 200);
    return ((await res.json()) as { exchanges: ExchangeView[] }).exchanges;
  };

  test('/admin/exchanges: escaped keys, URL queries and the request path show [redacted]', async () => {
    reply = { kind: 'text', body: ESCAPED_REPLY, headers: { 'content-type': 'application/json' } };
    const res = await rawRequest(h.port, deviceCheckWithQuery());
    assert.equal(res.status, 200);
    assert.match(res.body.toString('utf8'), /ESCAPEDTOKEN/, 'the device itself gets its token');
    const x = (await exchanges())[0];
    assert.ok(x);
    assert.equal(x.path, '/xiaozhi/ota/?token=[redacted]&Pass%77ord=[redacted]');
    assert.ok(x.upstreamBody?.includes('"tok\\u0065n":"[redacted]"'), x.upstreamBody ?? '');
    assert.ok(x.upstreamBody?.includes('"pass\\u0077ord":"[redacted]"'), x.upstreamBody ?? '');
    assert.ok(x.upstreamBody?.includes('"ws://172.21.0.5:8000/xiaozhi/v1/?token=[redacted]&v=1"'));
    assert.match(x.replyBody ?? '', /"url":"ws:\/\/127\.0\.0\.1:8000\/xiaozhi\/v1\/\?token=\[redacted\]"/);
    assertNoSecret(JSON.stringify(x), '/admin/exchanges');
    assertNoSecret(JSON.stringify(h.exchanges().at(-1)), 'the log line');
  });

  test('/admin/exchanges: a number or an object under a secret key shows [redacted]', async () => {
    reply = { kind: 'text', body: TYPED_REPLY, headers: { 'content-type': 'application/json' } };
    await rawRequest(h.port, deviceCheckWithQuery());
    const x = (await exchanges())[0];
    assert.ok(x?.upstreamBody?.includes('"token":"[redacted]"'), x?.upstreamBody ?? '');
    assert.ok(x?.upstreamBody?.includes('"Password":"[redacted]"'), x?.upstreamBody ?? '');
    assertNoSecret(JSON.stringify(x), '/admin/exchanges');
  });

  test('/admin/explain against the live upstream: every body, value and URL shows [redacted]', async () => {
    for (const body of [ESCAPED_REPLY, TYPED_REPLY]) {
      reply = { kind: 'text', body, headers: { 'content-type': 'application/json' } };
      const explanation = await explain({ request: capturedRequest() });
      assert.equal(explanation.upstream.source, 'live');
      assert.equal(explanation.matched.websocket?.url, 'ws://192.168.1.10:8000/xiaozhi/v1/?token=[redacted]');
      assertNoSecret(JSON.stringify(explanation), `live explain of ${body.slice(0, 40)}…`);
    }
  });

  test('/admin/explain against a given reply: the same', async () => {
    for (const body of [ESCAPED_REPLY, TYPED_REPLY]) {
      const explanation = await explain({ request: capturedRequest(), upstream: { status: 200, body } });
      assert.equal(explanation.upstream.source, 'given');
      assert.equal(explanation.outcome, 'rewritten');
      assert.ok(explanation.upstream.body?.includes('[redacted]'));
      assertNoSecret(JSON.stringify(explanation), `given explain of ${body.slice(0, 40)}…`);
    }
    const escaped = await explain({ request: capturedRequest(), upstream: { body: ESCAPED_REPLY } });
    assert.ok(escaped.upstream.body?.includes('"tok\\u0065n":"[redacted]"'));
    assert.deepEqual(
      escaped.diff.find((d) => d.path === 'websocket.url'),
      {
        path: 'websocket.url',
        op: 'changed',
        before: 'ws://172.21.0.5:8000/xiaozhi/v1/?token=[redacted]&v=1',
        after: 'ws://192.168.1.10:8000/xiaozhi/v1/?token=[redacted]',
      },
    );
  });
});
