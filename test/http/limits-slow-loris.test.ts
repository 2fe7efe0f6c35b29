/**
 * Slow clients cannot hold the listener (docs/configuration.md `limits.headers_timeout_ms`, `request_timeout_ms`; the
 * listener checks about once a second): connections that trickle their headers, send nothing, or trickle
 * their body are closed by the proxy — a framed 408 where nothing was answered yet — while devices keep
 * getting answers, and nothing of a slow request reaches the upstream.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { errorFramingViolations } from '../helpers/device-contract.js';
import { deviceCheck } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { parseRawResponse, rawRequest } from '../helpers/raw-client.js';

const HEADERS_MS = 500;
const REQUEST_MS = 1000;

interface Slow {
  /** Resolves with what the server sent before it closed the connection, and when. */
  readonly closed: Promise<{ bytes: Buffer; afterMs: number }>;
  stop(): void;
}

/**
 * Opens a connection that sends `prefix`, then `drip` one piece every 100 ms until the server closes it.
 * `halfOpen`: the client does not end its side when the server ends its own, and keeps dripping.
 */
function slowClient(port: number, prefix: string, drip: string, { halfOpen = false } = {}): Slow {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: halfOpen });
  const started = performance.now();
  const chunks: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    if (prefix) socket.write(prefix);
    if (drip) timer = setInterval(() => socket.writable && socket.write(drip), 100);
  });
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const closed = new Promise<{ bytes: Buffer; afterMs: number }>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ bytes: Buffer.concat(chunks), afterMs: performance.now() - started });
    });
  });
  return {
    closed,
    stop() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe('slow clients', () => {
  let h: Harness;
  const clients: Slow[] = [];
  before(async () => {
    h = await startHarness({
      yaml: `limits:\n  headers_timeout_ms: ${HEADERS_MS}\n  request_timeout_ms: ${REQUEST_MS}\n`,
    });
  });
  after(async () => {
    for (const client of clients) client.stop();
    await h.close();
  });

  test(
    'trickled headers (also from half-open clients), silent connections and trickled bodies are closed; devices are still answered',
    { timeout: 20_000 },
    async () => {
      const head = deviceCheck().toString('latin1').split('\r\n\r\n')[0] ?? '';
      for (let i = 0; i < 20; i++)
        clients.push(slowClient(h.port, 'POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\n', 'X'));
      for (let i = 0; i < 10; i++) clients.push(slowClient(h.port, '', ''));
      for (let i = 0; i < 10; i++)
        clients.push(slowClient(h.port, 'GET / HTTP/1.1\r\n', 'Y', { halfOpen: true }));
      for (let i = 0; i < 10; i++) clients.push(slowClient(h.port, `${head}\r\n\r\n`, '{'));

      // Meanwhile a device check is answered promptly.
      const started = performance.now();
      const res = await rawRequest(h.port, deviceCheck());
      assert.equal(res.status, 200);
      assert.ok(performance.now() - started < 500);

      const results = await Promise.all(clients.map((c) => c.closed));
      assert.equal(results.length, 50);
      for (const [i, { bytes, afterMs }] of results.entries()) {
        // Not before its deadline; then within one checking interval plus scheduling slack.
        // (+ the 1 s a client may linger to read its 408.)
        const deadline = i < 40 ? HEADERS_MS : REQUEST_MS;
        const limit = deadline + 1000 + 1000 + 1500;
        const closed = `client ${i} closed after ${Math.round(afterMs)} ms`;
        assert.ok(afterMs >= deadline && afterMs < limit, closed);
        // None of them was answered before: every one gets its 408.
        const reply = parseRawResponse(bytes);
        assert.equal(reply.status, 408, closed);
        assert.deepEqual(errorFramingViolations(reply), []);
      }
      assert.equal(h.upstream.received.length, 1, 'only the device check went upstream');
    },
  );
});
