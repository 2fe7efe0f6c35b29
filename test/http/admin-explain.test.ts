/** POST /admin/explain: a device request run through the pipeline against a given or the live upstream reply — the reply, the diff and the reasons, nothing sent to a device, no state changed. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Explanation } from '../../src/admin/explain.js';
import { readCapture } from '../helpers/captures.js';
import { upstreamText } from '../helpers/upstream-replies.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';

/** The captured device request as explain input: its headers (Host re-addressed) and its body. */
function capturedRequest(host = '192.168.1.10:8003'): { headers: [string, string][]; body: string } {
  const message = readCapture('python-default-post', 'request');
  const headers = message.headers
    .filter(([name]) => !['content-length', 'connection'].includes(name.toLowerCase()))
    .map(([name, value]): [string, string] => [name, name.toLowerCase() === 'host' ? host : value]);
  return { headers, body: message.body.toString('utf8') };
}

describe('/admin/explain', () => {
  let h: Harness;
  const explain = async (
    input: unknown,
  ): Promise<{ status: number; body: Explanation & { error?: string; detail?: string } }> => {
    const res = await fetch(`${h.proxy.url}/admin/explain`, {
      method: 'POST',
      headers: { authorization: 'Bearer ex-token', 'content-type': 'application/json' },
      body: typeof input === 'string' ? input : JSON.stringify(input),
    });
    return {
      status: res.status,
      body: (await res.json()) as Explanation & { error?: string; detail?: string },
    };
  };

  before(async () => {
    h = await startHarness({
      responder: () => ({ kind: 'capture', name: 'python-auth-token' }),
      yaml: 'admin:\n  token: ex-token\nwebsocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nrewrite:\n  - from: http://172.21.0.5:8003/\n    to: http://{host}:8003/\n',
    });
  });
  after(() => h.close());

  test('against a given reply: the reply devices would get, the diff and which item matched; the upstream is not asked', async () => {
    const before = h.upstream.received.length;
    const { status, body } = await explain({
      request: capturedRequest(),
      upstream: { status: 200, body: upstreamText('python-default-post') },
    });
    assert.equal(status, 200);
    assert.equal(h.upstream.received.length, before, 'nothing went upstream');
    assert.equal(body.upstream.source, 'given');
    assert.equal(body.upstream.verdict, 'sections');
    assert.equal(body.outcome, 'rewritten');
    assert.equal(body.reply.status, 200);
    assert.deepEqual(body.rules.applied, ['websocket']);
    assert.deepEqual(body.diff, [
      {
        path: 'websocket.url',
        op: 'changed',
        before: 'ws://172.21.0.5:8000/xiaozhi/v1/',
        after: 'ws://192.168.1.10:8000/xiaozhi/v1/',
      },
    ]);
    assert.deepEqual(body.matched.websocket, { index: 0, url: 'ws://192.168.1.10:8000/xiaozhi/v1/' });
    assert.equal(body.matched.rewrite[0]?.matches, true);
    assert.equal(body.request.origin, 'http://192.168.1.10:8003');
    assert.equal(body.device.id, 'aa:bb:cc:dd:ee:01');
    assert.equal(body.firmware.offered, null);
    assert.equal(body.firmware.reason, 'no-catalog');
    assert.ok(body.reasons.some((r) => r.includes('websocket')));
  });

  test('against the live upstream: the request is forwarded as the check would be, and tokens are redacted everywhere', async () => {
    const before = h.upstream.received.length;
    const { status, body } = await explain({ request: capturedRequest() });
    assert.equal(status, 200);
    assert.equal(h.upstream.received.length, before + 1);
    const sent = h.upstream.received.at(-1);
    assert.equal(sent?.headers['device-id'], 'aa:bb:cc:dd:ee:01');
    assert.equal(sent?.url, '/xiaozhi/ota/');
    assert.equal(body.upstream.source, 'live');
    assert.equal(body.outcome, 'rewritten');
    const text = JSON.stringify(body);
    const token = /"token":"([^"]+)"/.exec(upstreamText('python-auth-token'))?.[1] ?? '';
    assert.ok(token.length > 10);
    assert.equal(text.includes(token), false, 'the websocket token never appears');
    assert.match(text, /\[redacted\]/);
  });

  test('guard repairs and a seconds timestamp are explained', async () => {
    const { body } = await explain({
      request: capturedRequest(),
      upstream: {
        body: {
          server_time: { timestamp: 1795300269, timezone_offset: 480 },
          websocket: { url: 'ws://172.21.0.5:8000/xiaozhi/v1/', version: '3' },
        },
      },
    });
    assert.ok(body.repairs.includes('server_time.timestamp-ms'));
    assert.ok(body.repairs.includes('websocket.version-number'));
    assert.ok(body.diff.some((d) => d.path === 'server_time.timestamp' && d.after === 1795300269000));
    assert.ok(body.reasons.some((r) => r === 'guard: server_time.timestamp-ms'));
  });

  test('an upstream failure is answered from the fallback; nothing in the live state changes', async () => {
    const metricsBefore = await (await fetch(`${h.proxy.url}/metrics`)).text();
    const { body } = await explain({ request: capturedRequest(), upstream: { failure: 'refused' } });
    assert.equal(body.upstream.verdict, 'failure');
    assert.equal(body.upstream.failure, 'refused');
    assert.equal(body.outcome, 'fallback');
    assert.equal(body.reply.status, 200);
    assert.match(body.reply.body, /ws:\/\/192\.168\.1\.10:8000\/xiaozhi\/v1\//);
    assert.equal(h.proxy.app.runtime.breaker.state, 'closed');
    const checks = (text: string): string[] =>
      text.split('\n').filter((l) => l.startsWith('xiaozhi_ota_proxy_ota_checks_total'));
    assert.deepEqual(
      checks(await (await fetch(`${h.proxy.url}/metrics`)).text()),
      checks(metricsBefore),
      'explain is not counted as a check',
    );
    const list = (await (
      await fetch(`${h.proxy.url}/admin/exchanges`, { headers: { authorization: 'Bearer ex-token' } })
    ).json()) as { count: number };
    assert.equal(list.count, 0, 'explain is not an exchange');
  });

  test("the upstream's error shapes and 4xx are explained as passed through", async () => {
    const shape = await explain({
      request: capturedRequest(),
      upstream: { body: '{"code":404,"msg":"资源不存在","data":null}' },
    });
    assert.equal(shape.body.upstream.verdict, 'other-object');
    assert.equal(shape.body.outcome, 'passthrough');
    const notFound = await explain({
      request: capturedRequest(),
      upstream: { status: 404, body: '404: Not Found' },
    });
    assert.equal(notFound.body.outcome, 'passthrough');
    assert.equal(notFound.body.reply.status, 404);
  });

  test('a body over limits.device_body_bytes is explained as rejected, without asking the upstream', async () => {
    const before = h.upstream.received.length;
    const { status, body } = await explain({ request: { headers: { Host: 'x' }, body: 'x'.repeat(70_000) } });
    assert.equal(status, 200);
    assert.equal(body.outcome as string, 'rejected');
    assert.equal(body.reply.status, 413);
    assert.equal(h.upstream.received.length, before);
  });

  test('malformed input is a 400 naming what is wrong', async () => {
    for (const input of [
      'not json',
      {},
      { request: { headers: 'x', body: '' } },
      { request: { headers: {} } },
      { request: { headers: {}, body: '' }, upstream: { failure: 'nope' } },
      { request: { headers: {}, body: '' }, upstream: { status: 99, body: '' } },
    ]) {
      const { status, body } = await explain(input);
      assert.equal(status, 400, JSON.stringify(input));
      assert.equal(body.error, 'bad request');
      assert.equal(typeof body.detail, 'string');
    }
  });
});
