/** doctor when nothing listens at upstream.url: a FAIL with the port hint; the proxy's fallback reply is shown for what it is. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { runDoctorAgainst } from '../helpers/doctor-harness.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('doctor: upstream unreachable', () => {
  test('connection refused: FAIL naming host and port with the 8002/8003 hint; devices get the fallback', async () => {
    const port = await closedPort();
    const run = await runDoctorAgainst({
      upstreamUrl: `http://127.0.0.1:${port}`,
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n',
    });
    const reachable = run.find('upstream.reachable');
    assert.equal(reachable.status, 'fail');
    assert.equal(reachable.title, `nothing listens at 127.0.0.1:${port} (connection refused)`);
    assert.equal(
      reachable.fix,
      'Check upstream.url. manager-api (the full deployment) answers on port 8002, the single-module Python server on 8003; 8000 is the voice WebSocket, not the OTA endpoint. From inside Docker, use the service name (e.g. http://xiaozhi-esp32-server:8003), not 127.0.0.1.',
    );
    assert.equal(run.report.upstream.failure, 'refused');
    const reply = run.find('proxy.reply');
    assert.equal(reply.status, 'warn');
    assert.equal(
      reply.title,
      'devices get the fallback reply: the upstream failed, the proxy answered for it',
    );
    assert.equal(run.report.ok, false);
    assert.equal(
      run.report.findings.some((f) => f.id === 'upstream.ota-path'),
      false,
      'no judgement of a reply that never came',
    );
  });

  test('refused with the fallback unable to name a transport: devices get 502', async () => {
    const port = await closedPort();
    const run = await runDoctorAgainst({ upstreamUrl: `http://127.0.0.1:${port}` });
    const reply = run.find('proxy.reply');
    assert.equal(reply.status, 'fail');
    assert.equal(reply.title, 'devices get status 502: they retry, then fall back to stored settings');
    assert.equal(run.find('websocket.url').status, 'skip');
  });
});
