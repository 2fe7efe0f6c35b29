import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import {
  captureLogs,
  connectionCount,
  rawUpgrade,
  splitRawResponse,
  startVoiceFront,
  waitFor,
} from '../helpers/voice-harness.js';
import type { VoiceFront } from '../helpers/voice-harness.js';
import { createVoiceProxy } from '../../src/voice/voice-proxy.js';
import type { VoiceProxy } from '../../src/voice/voice-proxy.js';

// An upstream that answers the upgrade with something other than 101 (the xiaozhi server refuses a
// bad token with 401): the device gets that status and body, re-framed with only the proxy's own
// headers (docs/configuration.md voice_proxy), never http-proxy 1.18.1's raw pass-through.
const MAX_BODY = 1024;

/** Raw answers the fake upstream writes, chosen by the request path. */
const answers: Record<string, (socket: Duplex) => void> = {
  '/xiaozhi/v1/unauthorized': (socket) => {
    const body = '{"error":"invalid token"}';
    socket.end(
      'HTTP/1.1 401 Unauthorized\r\nServer: Python/3.12 websockets/14\r\nX-Extra: leak\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  },
  '/xiaozhi/v1/chunked': (socket) => {
    socket.end(
      'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    );
  },
  '/xiaozhi/v1/empty': (socket) => {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX-Extra: leak\r\n\r\n');
  },
  '/xiaozhi/v1/large': (socket) => {
    const body = 'x'.repeat(MAX_BODY * 4);
    socket.end(
      `HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  },
  '/xiaozhi/v1/cut': (socket) => {
    socket.write(
      'HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\npartial',
    );
    setTimeout(() => socket.destroy(), 20);
  },
};

let upstream: http.Server;
let front: VoiceFront;
let proxy: VoiceProxy;
const logs = captureLogs();

before(async () => {
  upstream = http.createServer((_req, res) => res.writeHead(500).end());
  upstream.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    const answer = answers[req.url ?? ''];
    if (answer === undefined) socket.destroy();
    else answer(socket);
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const { port } = upstream.address() as AddressInfo;
  proxy = createVoiceProxy({ logger: logs.logger, maxAnswerBodyBytes: MAX_BODY });
  front = await startVoiceFront({ proxy, target: `ws://127.0.0.1:${port}` });
});

after(async () => {
  await proxy.shutdown(0);
  await front.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

function headerNames(headerLines: string[]): string[] {
  return headerLines.map((line) => line.slice(0, line.indexOf(':')));
}

test('a 401 with a JSON body is passed on with its status, type and body only', async () => {
  const { statusLine, headerLines, body } = splitRawResponse(
    await rawUpgrade(front.port, { path: '/xiaozhi/v1/unauthorized' }),
  );
  assert.equal(statusLine, 'HTTP/1.1 401 Unauthorized');
  assert.deepEqual(headerNames(headerLines), ['Content-Type', 'Content-Length', 'Date', 'Connection']);
  assert.equal(headerLines[0], 'Content-Type: application/json');
  assert.equal(headerLines[1], `Content-Length: ${body.length}`);
  assert.equal(headerLines[3], 'Connection: close');
  assert.equal(body, '{"error":"invalid token"}');
});

test('a chunked answer is re-framed with Content-Length', async () => {
  const { statusLine, headerLines, body } = splitRawResponse(
    await rawUpgrade(front.port, { path: '/xiaozhi/v1/chunked' }),
  );
  assert.equal(statusLine, 'HTTP/1.1 403 Forbidden');
  assert.deepEqual(headerNames(headerLines), ['Content-Type', 'Content-Length', 'Date', 'Connection']);
  assert.equal(headerLines[1], 'Content-Length: 11');
  assert.equal(body, 'hello world');
});

test('an answer without a body carries no Content-Type', async () => {
  const { statusLine, headerLines, body } = splitRawResponse(
    await rawUpgrade(front.port, { path: '/xiaozhi/v1/empty' }),
  );
  assert.equal(statusLine, 'HTTP/1.1 404 Not Found');
  assert.deepEqual(headerNames(headerLines), ['Content-Length', 'Date', 'Connection']);
  assert.equal(headerLines[0], 'Content-Length: 0');
  assert.equal(body, '');
});

test('a long body is cut at the bound, still framed exactly', async () => {
  const { statusLine, headerLines, body } = splitRawResponse(
    await rawUpgrade(front.port, { path: '/xiaozhi/v1/large' }),
  );
  assert.equal(statusLine, 'HTTP/1.1 500 Internal Server Error');
  assert.equal(headerLines[1], `Content-Length: ${MAX_BODY}`);
  assert.equal(body, 'x'.repeat(MAX_BODY));
});

test('an answer cut off before its end becomes a 502', async () => {
  const { statusLine, headerLines, body } = splitRawResponse(
    await rawUpgrade(front.port, { path: '/xiaozhi/v1/cut' }),
  );
  assert.equal(statusLine, 'HTTP/1.1 502 Bad Gateway');
  assert.equal(headerLines[1], `Content-Length: ${body.length}`);
  assert.equal(body, 'voice upstream reset\n', 'never the partial answer');
});

test('refusals are counted as failed upgrades, logged with the status, and leave no socket open', async () => {
  await waitFor(async () => (await front.connectionCount()) === 0);
  await waitFor(async () => (await connectionCount(upstream)) === 0);
  const stats = proxy.stats();
  assert.equal(stats.upgradeFailures, 5);
  assert.equal(stats.opened, 0);
  const refusals = logs.lines
    .filter((line) => line.msg === 'voice upstream refused the upgrade')
    .map((line) => line.status);
  assert.deepEqual(refusals, [401, 403, 404, 500]);
});
