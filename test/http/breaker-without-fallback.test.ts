/**
 * With `fallback.enabled: false` an open breaker answers OTA checks with a clean 502 at once, without
 * asking the upstream (docs/configuration.md "Which reply a device gets").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFramingViolations } from '../helpers/device-contract.js';
import { deviceCheck } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

describe('an open breaker without the fallback', () => {
  let h: Harness;
  let hang = false;
  before(async () => {
    h = await startHarness({
      responder: () => (hang ? { kind: 'hang' } : { kind: 'reset' }),
      fullYaml:
        'listen: 127.0.0.1:0\nupstream:\n  url: {{upstream}}\n  timeout_ms: 4000\nfallback:\n  enabled: false\nbreaker:\n  failures: 2\n  cooldown_ms: 60000\n',
    });
  });
  after(() => h.close());

  test('502 at once, framed, the upstream not asked', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await rawRequest(h.port, deviceCheck())).status, 502);
    assert.equal(h.proxy.app.runtime.breaker.state, 'open');
    hang = true;
    const asked = h.upstream.received.length;
    const started = performance.now();
    const res = await rawRequest(h.port, deviceCheck());
    assert.ok(performance.now() - started < 2500, 'answered without waiting for the upstream');
    assert.equal(res.status, 502);
    assert.deepEqual(errorFramingViolations(res), []);
    assert.equal(h.upstream.received.length, asked);
    const line = h.exchanges().at(-1);
    assert.equal(line?.outcome, 'failed');
    assert.deepEqual(line?.notes, ['upstream breaker-open']);
  });
});
