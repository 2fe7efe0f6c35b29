/**
 * Control characters from the upstream never reach a device (docs/configuration.md "Fleet and hardening amendments",
 * guard): a `websocket.url` holding CR/LF, NUL or a blank is unusable and dropped — with `websocket` unset
 * it used to pass as it came, only a port added; a `websocket.token` or `mqtt` string holding a control
 * character is dropped — also with `websocket` configured, and later again from the fallback memory.
 * Checked on the raw reply with the independent device-contract oracle.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contractViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';
import { upstreamText } from '../helpers/upstream-replies.js';

type Body = Record<string, Record<string, unknown>>;

/** A capture's JSON with one section's members replaced. */
function capture(name: string, section: string, members: Record<string, unknown>): Reply {
  const body = JSON.parse(upstreamText(name)) as Body;
  return { kind: 'json', body: { ...body, [section]: { ...body[section], ...members } } };
}

async function check(h: Harness, { fallback = false } = {}): Promise<Body> {
  const reply = await rawRequest(h.port, deviceCheck());
  assert.deepEqual(contractViolations(reply, CAPTURED_DEVICE, { fallback }), []);
  return JSON.parse(reply.body.toString('utf8')) as Body;
}

describe('control characters from the upstream', () => {
  describe('with websocket unset', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
    });
    after(() => h.close());

    for (const url of [
      'ws://172.21.0.5:8000/xiaozhi/v1/\r\nX-Injected: 1',
      'ws://172.21.0.5:8000/xiaozhi/v1/\u0000',
      'ws://172.21.0.5/xiaozhi/v1/a:b\r\n',
      'ws://172.21.0.5:8000/xiaozhi v1/',
    ]) {
      test(`websocket.url ${JSON.stringify(url)} is dropped; the token stays`, async () => {
        h.upstream.respond(() => capture('python-auth-token', 'websocket', { url }));
        const body = await check(h);
        assert.deepEqual(body.websocket, {
          token: 'NDwJ2SqlB3JkYSlF9SBwnWNasgVEgnTNWdWKAMM6BWE.1795300274',
        });
      });
    }

    test('an mqtt string holding a control character is dropped', async () => {
      h.upstream.respond(() =>
        capture('python-mqtt-gateway', 'mqtt', { password: 'uwPR2AXGD1Yn\r\nwRd6Xu', username: 'u\u0000' }),
      );
      const body = await check(h);
      assert.equal(body.mqtt?.endpoint, 'mqtt.example.com:1883');
      assert.equal(Object.hasOwn(body.mqtt ?? {}, 'password'), false);
      assert.equal(Object.hasOwn(body.mqtt ?? {}, 'username'), false);
    });
  });

  describe('with websocket configured, and then from the fallback memory', () => {
    let h: Harness;
    let down = false;
    const token = 'NDwJ2SqlB3Jk\r\nX-Injected: 1';
    before(async () => {
      h = await startHarness({
        responder: () =>
          down ? { kind: 'reset' } : capture('python-auth-token', 'websocket', { token, version: 3 }),
        yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nbreaker:\n  failures: 1000\n',
      });
    });
    after(() => h.close());

    test('a websocket.token holding CR/LF is dropped; the configured url is sent', async () => {
      const body = await check(h);
      assert.deepEqual(body.websocket, { url: 'ws://127.0.0.1:8000/xiaozhi/v1/', version: 3 });
    });

    test('the upstream down: the remembered section passes the guard too, without that token', async () => {
      down = true;
      const body = await check(h, { fallback: true });
      assert.equal(h.exchanges().at(-1)?.outcome, 'fallback');
      assert.deepEqual(body.websocket, { url: 'ws://127.0.0.1:8000/xiaozhi/v1/', version: 3 });
    });
  });
});
