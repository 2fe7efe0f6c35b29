/** With admin.listen, /metrics and /admin/* live on that listener only (404 on the main port); a failed check (fallback off) is counted as failed. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { deviceRequest } from '../helpers/captures.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('metrics and admin on admin.listen', () => {
  let h: Harness;
  before(async () => {
    const dead = await closedPort();
    h = await startHarness({
      fullYaml: `listen: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:${dead}\n  timeout_ms: 1000\nfallback:\n  enabled: false\nadmin:\n  token: lt\n  listen: 127.0.0.1:0\n`,
    });
  });
  after(() => h.close());

  test('the main port answers 404 for /metrics and /admin, the admin listener serves them', async () => {
    assert.ok(h.proxy.adminUrl);
    for (const path of ['/metrics', '/admin/exchanges']) {
      const main = await fetch(`${h.proxy.url}${path}`, { headers: { authorization: 'Bearer lt' } });
      assert.equal(main.status, 404, path);
      await main.body?.cancel();
      const admin = await fetch(`${h.proxy.adminUrl}${path}`, { headers: { authorization: 'Bearer lt' } });
      assert.equal(admin.status, 200, path);
      await admin.body?.cancel();
    }
  });

  test('a check the upstream refuses, with the fallback off, counts as failed with its error kind', async () => {
    const res = await rawRequest(h.port, deviceRequest('python-default-post'));
    assert.equal(res.status, 502);
    const text = await (await fetch(`${h.proxy.adminUrl}/metrics`)).text();
    assert.match(text, /^xiaozhi_ota_proxy_ota_checks_total\{outcome="failed"\} 1$/m);
    assert.match(text, /^xiaozhi_ota_proxy_upstream_errors_total\{failure="refused"\} 1$/m);
    assert.match(text, /^xiaozhi_ota_proxy_ota_requests_total\{kind="check",status="502"\} 1$/m);
  });
});
