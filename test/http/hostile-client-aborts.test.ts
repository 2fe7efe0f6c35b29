/**
 * Clients that go away — mid-body, while the upstream thinks, mid-response — never crash the proxy and
 * never leave an upstream connection behind: the proxy drops its side at once instead of waiting for the
 * 30 s idle timeout, on the OTA check, activate, the upstream download relay and the passthrough.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

/** An upstream whose routes hang or stream slowly, counting its open connections. */
async function startSlowUpstream(): Promise<{
  url: string;
  open: () => number;
  requests: string[];
  close: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    const url = req.url ?? '';
    if (url.startsWith('/stream') || url.startsWith('/xiaozhi/ota/download/')) {
      // Headers and a first piece of a 10 MB body, then nothing more.
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(10 * 1024 * 1024),
        Connection: 'close',
      });
      res.write(Buffer.alloc(64 * 1024, 1));
      return;
    }
    if (url.startsWith('/xiaozhi/ota/') && req.method === 'POST' && !url.includes('activate')) {
      // The OTA check: answered after 300 ms, when the client is long gone.
      setTimeout(() => {
        if (res.destroyed) return;
        const body = JSON.stringify({ websocket: { url: 'ws://a/' } });
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Content-Length': String(body.length),
          Connection: 'close',
        });
        res.end(body);
      }, 300);
      return;
    }
    // Everything else hangs.
  };
  const server = http.createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    open: () => sockets.size,
    requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends `bytes`, waits `afterMs` (or for `untilBytes` of reply), then destroys the connection. */
async function abortAfter(
  port: number,
  bytes: Buffer | string,
  { afterMs = 100, untilBytes = 0 } = {},
): Promise<number> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  let received = 0;
  socket.on('data', (chunk: Buffer) => (received += chunk.length));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(bytes);
  if (untilBytes > 0) await eventually(() => received >= untilBytes, { what: `${untilBytes} reply bytes` });
  else await sleep(afterMs);
  socket.destroy();
  return received;
}

describe('clients that go away', () => {
  let upstream: Awaited<ReturnType<typeof startSlowUpstream>>;
  let h: Harness;
  before(async () => {
    upstream = await startSlowUpstream();
    h = await startHarness({
      fullYaml: `listen: 127.0.0.1:0\nupstream:\n  url: ${upstream.url}\n  timeout_ms: 5000\nwebsocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n`,
    });
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  /** No upstream connection is left open, and none is busy in the proxy's agent. */
  async function nothingLeft(): Promise<void> {
    await eventually(() => upstream.open() === 0, { timeoutMs: 2000, what: 'upstream connections closed' });
    assert.equal(h.proxy.app.runtime.agents.busy(), 0);
  }

  test('mid-body on the OTA check and activate: nothing goes upstream', async () => {
    const check = deviceCheck().toString('latin1');
    await abortAfter(h.port, check.slice(0, check.length - 200));
    const activate = deviceCheck({ path: '/xiaozhi/ota/activate' }).toString('latin1');
    await abortAfter(h.port, activate.slice(0, activate.length - 200));
    await sleep(100);
    assert.deepEqual(upstream.requests, []);
    await nothingLeft();
  });

  test('while the upstream thinks about an OTA check: the exchange ends cleanly', async () => {
    await abortAfter(h.port, deviceCheck(), { afterMs: 50 });
    await eventually(() => h.exchanges().length > 0, { what: 'the check log line' });
    // One exchange, finished as the upstream answered it (the reply then goes to a closed socket).
    assert.deepEqual(
      h.exchanges().map((l) => [l.outcome, l.status, (l.upstream as { status: number }).status]),
      [['rewritten', 200, 200]],
    );
    await nothingLeft();
  });

  test('passthrough: before the upstream answers, mid-body upload, mid-response', async () => {
    const count = upstream.requests.length;
    await abortAfter(h.port, 'GET /mcp/hangs HTTP/1.1\r\nHost: x\r\n\r\n', { afterMs: 100 });
    await abortAfter(
      h.port,
      'POST /mcp/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'u'.repeat(5000),
      { afterMs: 100 },
    );
    await abortAfter(
      h.port,
      'POST /mcp/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n',
      { afterMs: 100 },
    );
    await abortAfter(h.port, 'GET /stream HTTP/1.1\r\nHost: x\r\n\r\n', { untilBytes: 1000 });
    assert.equal(upstream.requests.length, count + 4);
    await nothingLeft();
  });

  test('the upstream download relay, mid-download', async () => {
    await abortAfter(
      h.port,
      'GET /xiaozhi/ota/download/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      { untilBytes: 1000 },
    );
    await nothingLeft();
  });

  test('the proxy still answers devices afterwards', async () => {
    const res = await rawRequest(h.port, deviceCheck());
    assert.equal(res.status, 200);
    await nothingLeft();
  });
});
