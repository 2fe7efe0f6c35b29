/**
 * What the breaker counts (docs/configuration.md "Which reply a device gets"): only the failure causes of the reply
 * table, and only consecutive ones — a 2xx (an error shape included) or a 4xx is a success that resets the
 * count, so an upstream that rejects some devices never trips it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceCheck } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

describe('what the breaker counts', () => {
  let h: Harness;
  let reply: Reply = { kind: 'reset' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nbreaker:\n  failures: 3\n  cooldown_ms: 60000\n',
    });
  });
  after(() => h.close());

  const step = async (next: Reply): Promise<number> => {
    reply = next;
    return (await rawRequest(h.port, deviceCheck())).status;
  };

  test('4xx replies and error shapes are successes that reset the count', async () => {
    const fail: Reply = { kind: 'text', status: 500, body: 'x' };
    const successes: [Reply, number][] = [
      [{ kind: 'capture', name: 'python-no-trailing-slash' }, 404],
      [{ kind: 'capture', name: 'java-error-invalid-device-id' }, 200], // {"error":…}
      [{ kind: 'text', status: 429, body: 'slow down' }, 429],
    ];
    for (const [success, status] of successes) {
      assert.equal(await step(fail), 200);
      assert.equal(await step(fail), 200);
      assert.equal(await step(success), status);
      assert.equal(h.proxy.app.runtime.breaker.state, 'closed');
    }
    const asked = h.upstream.received.length;
    for (let i = 0; i < 3; i++) assert.equal(await step(fail), 200);
    assert.equal(h.proxy.app.runtime.breaker.state, 'open');
    await step({ kind: 'capture', name: 'python-default-post' });
    assert.equal(h.upstream.received.length, asked + 3, 'open: not asked');
  });
});
