/**
 * Strangers cannot flush the fallback memory (docs/configuration.md "Fallback reply"; the OTA path has no device
 * authentication, so anyone on the devices' network can send checks with made-up `Device-Id`s): a device
 * checked twice keeps its remembered websocket section through 12,000 one-time ids — more than
 * `fallback.remember_devices` (10,000) — and an upstream outage then still gives it its own token.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { contractViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const STRANGERS = 12_000;
const CONNECTIONS = 32;
const REAL = 'aa:bb:cc:dd:ee:01';

function goodReply(deviceId: string): Reply {
  return {
    kind: 'json',
    body: {
      server_time: { timestamp: Date.now(), timezone_offset: 480 },
      firmware: { version: '1.6.0', url: '' },
      websocket: { url: 'ws://172.21.0.5:8000/xiaozhi/v1/', token: `tok-${deviceId}`, version: 3 },
    },
  };
}

/** `count` checks one after another on one keep-alive connection, each with its own Device-Id. */
function strangers(port: number, ids: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answered = 0;
    let pending = Buffer.alloc(0);
    const send = (): void => {
      const id = ids[answered];
      if (id === undefined) {
        socket.end();
        return;
      }
      socket.write(deviceCheck({ drop: ['Connection'], set: [['Device-Id', id]], body: '{}' }));
    };
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/\r\nContent-Length: (\d+)/.exec(pending.subarray(0, end).toString())?.[1]);
        if (pending.length < end + 4 + length) return;
        if (!pending.subarray(0, 12).equals(Buffer.from('HTTP/1.1 200'))) {
          reject(new Error(`a stranger got ${pending.subarray(0, 20).toString()}`));
          socket.destroy();
          return;
        }
        pending = pending.subarray(end + 4 + length);
        answered += 1;
        send();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answered));
    send();
  });
}

describe('strangers and the fallback memory', () => {
  test('a device checked twice survives 12,000 one-time ids; an outage then gives it its remembered token', async () => {
    let down = false;
    const h = await startHarness({
      responder: (req) => (down ? { kind: 'reset' } : goodReply(String(req.headers['device-id']))),
      yaml: 'log:\n  level: warn\nbreaker:\n  failures: 1000\n',
    });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await rawRequest(h.port, deviceCheck())).status, 200);

      const ids = Array.from({ length: STRANGERS }, (_, i) => {
        const hex = i.toString(16).padStart(6, '0');
        return `02:00:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
      });
      const share = Math.ceil(STRANGERS / CONNECTIONS);
      const answered = await Promise.all(
        Array.from({ length: CONNECTIONS }, (_, c) =>
          strangers(h.port, ids.slice(c * share, (c + 1) * share)),
        ),
      );
      assert.equal(
        answered.reduce((a, b) => a + b, 0),
        STRANGERS,
      );
      const { memory } = h.proxy.app.runtime;
      assert.equal(memory.size, 10_000);

      down = true;
      const reply = await rawRequest(h.port, deviceCheck());
      assert.deepEqual(contractViolations(reply, CAPTURED_DEVICE, { fallback: true }), []);
      const body = JSON.parse(reply.body.toString('utf8')) as { websocket?: { token?: string } };
      assert.equal(body.websocket?.token, `tok-${REAL}`);
      // The earliest strangers were the ones pushed out: no transport known for them (502).
      const early = await rawRequest(h.port, deviceCheck({ set: [['Device-Id', ids[0] ?? '']] }));
      assert.equal(early.status, 502);
    } finally {
      await h.close();
    }
  });
});
