/**
 * A probe whose handler throws (here: the catalog lookup) still reports to the breaker, as a failure: the
 * breaker must never stay half-open with its one probe slot taken, or every later check would get the
 * fallback without the upstream ever being asked again (docs/configuration.md "Which reply a device gets").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { contractViolations, errorFramingViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck } from '../helpers/device-requests.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { testConfig, websocketItem } from '../helpers/config-fixture.js';
import { rawRequest } from '../helpers/raw-client.js';
import { createApp, type App } from '../../src/http/app.js';
import { startServer, type RunningServer } from '../../src/http/server.js';

describe('a probe that throws', () => {
  let upstream: FakeUpstream;
  let app: App;
  let server: RunningServer;
  let catalogThrows = true;
  before(async () => {
    upstream = await startFakeUpstream(() => ({ kind: 'capture', name: 'python-default-post' }));
    const config = testConfig({
      upstream: {
        target: { scheme: 'http', host: '127.0.0.1', port: upstream.port, href: upstream.url },
        timeoutMs: 2000,
        maxBodyBytes: 262144,
      },
      websocket: [websocketItem('ws://{host}:8000/xiaozhi/v1/')],
      breaker: { failures: 1, cooldownMs: 0 },
    });
    const logger = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
    app = createApp({
      config,
      logger,
      catalog: () => {
        if (catalogThrows) throw new Error('catalog exploded');
        return null;
      },
    });
    server = await startServer({ listen: { host: '127.0.0.1', port: 0 }, handle: app.handle });
  });
  after(async () => {
    await server.close(0);
    app.close();
    await upstream.close();
  });

  test('counts as a failure, and a later probe can still close the breaker', async () => {
    // The first check throws after its exchange: a failure, which (failures: 1) opens the breaker.
    const first = await rawRequest(server.port, deviceCheck());
    assert.equal(first.status, 502);
    assert.equal(first.body.toString('utf8'), 'proxy error\n');
    assert.deepEqual(errorFramingViolations(first), []);
    assert.equal(app.runtime.breaker.state, 'open');
    // With no cool-down each check is a probe; each throws, each reports: the breaker is never stuck.
    for (let i = 0; i < 3; i++) {
      const asked = upstream.received.length;
      assert.equal((await rawRequest(server.port, deviceCheck())).status, 502);
      assert.equal(upstream.received.length, asked + 1, `probe ${i} went upstream`);
      assert.equal(app.runtime.breaker.state, 'open');
    }
    catalogThrows = false;
    const res = await rawRequest(server.port, deviceCheck());
    assert.deepEqual(contractViolations(res, CAPTURED_DEVICE), []);
    assert.equal(app.runtime.breaker.state, 'closed');
  });
});
