/**
 * A failed probe restarts the breaker's cool-down, and a late success from a check that started before the
 * breaker opened does not close it — only a probe does (docs/configuration.md "Which reply a device gets").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { contractViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

describe('a failed probe and a late success', () => {
  let h: Harness;
  let clock = 1795300269823;
  let mode: 'fail' | 'ok' = 'fail';
  before(async () => {
    h = await startHarness({
      now: () => clock,
      responder: async (req): Promise<Reply> => {
        if (req.headers['device-id'] === 'aa:bb:cc:dd:ee:5a') {
          await sleep(400);
          return { kind: 'capture', name: 'python-default-post' };
        }
        return mode === 'fail'
          ? { kind: 'text', status: 502, body: 'bad gateway' }
          : { kind: 'capture', name: 'python-default-post' };
      },
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nbreaker:\n  failures: 2\n  cooldown_ms: 5000\n',
    });
  });
  after(() => h.close());

  const posts = (): number => h.upstream.received.filter((r) => r.method === 'POST').length;
  const check = async (): Promise<void> => {
    const res = await rawRequest(h.port, deviceCheck());
    assert.deepEqual(contractViolations(res, CAPTURED_DEVICE), []);
  };

  test('a success that started before the breaker opened does not close it', async () => {
    mode = 'fail';
    const slow = rawRequest(h.port, deviceCheck({ set: [['Device-Id', 'aa:bb:cc:dd:ee:5a']] }));
    await sleep(50);
    await check();
    await check();
    assert.equal(h.proxy.app.runtime.breaker.state, 'open');
    assert.equal((await slow).status, 200);
    assert.equal(h.proxy.app.runtime.breaker.state, 'open');
  });

  test('a failed probe restarts the cool-down', async () => {
    const asked = posts();
    clock += 5000;
    await check(); // the probe, failing
    assert.equal(posts(), asked + 1);
    assert.equal(h.proxy.app.runtime.breaker.state, 'open');
    clock += 4999;
    await check();
    assert.equal(posts(), asked + 1, 'still cooling down from the failed probe');
    clock += 1;
    mode = 'ok';
    await check(); // the next probe, succeeding
    assert.equal(posts(), asked + 2);
    assert.equal(h.proxy.app.runtime.breaker.state, 'closed');
    assert.equal(h.exchanges().at(-1)?.outcome, 'rewritten');
  });
});
