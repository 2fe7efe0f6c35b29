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
    assert.match(reachable.title, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(reachable.fix ?? '', /8002/);
    assert.equal(run.report.upstream.failure, 'refused');
    const reply = run.find('proxy.reply');
    assert.equal(reply.status, 'warn');
    assert.match(reply.title, /fallback/);
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
    assert.match(reply.title, /status 502/);
    assert.equal(run.find('websocket.url').status, 'skip');
  });
});
