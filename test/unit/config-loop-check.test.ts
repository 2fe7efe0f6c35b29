import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loopsBack } from '../../src/config/loop-check.js';

const local = ['192.168.1.5', 'fe80::1c2b:3aff:fe4d:5e6f', '127.0.0.1', '::1'];

const cases: [listen: string, port: number, target: string, targetPort: number, loops: boolean][] = [
  // Another port never loops.
  ['0.0.0.0', 8003, '127.0.0.1', 8002, false],
  // Listening on a wildcard: loopback, localhost, this machine's addresses, the wildcard itself.
  ['0.0.0.0', 8003, '127.0.0.1', 8003, true],
  ['0.0.0.0', 8003, '127.8.9.10', 8003, true],
  ['0.0.0.0', 8003, 'localhost', 8003, true],
  ['0.0.0.0', 8003, 'LOCALHOST.', 8003, true],
  ['0.0.0.0', 8003, 'api.localhost', 8003, true],
  ['0.0.0.0', 8003, '192.168.1.5', 8003, true],
  ['0.0.0.0', 8003, '0.0.0.0', 8003, true],
  ['0.0.0.0', 8003, '[::1]', 8003, true],
  ['::', 8003, '::ffff:127.0.0.1', 8003, true],
  ['::', 8003, '[fe80::1c2b:3aff:fe4d:5e6f]', 8003, true],
  ['::', 8003, '[::]', 8003, true],
  // ... but not another machine, nor a name (no DNS).
  ['0.0.0.0', 8003, '192.168.1.6', 8003, false],
  ['0.0.0.0', 8003, 'xiaozhi-esp32-server', 8003, false],
  // Listening on loopback: loopback addresses and this machine's addresses.
  ['127.0.0.1', 8003, 'localhost', 8003, true],
  ['127.0.0.1', 8003, '192.168.1.5', 8003, true],
  ['localhost', 8003, '127.0.0.1', 8003, true],
  ['::1', 8003, '[::1]', 8003, true],
  // Listening on one specific address: only that address.
  ['192.168.1.5', 8003, '192.168.1.5', 8003, true],
  ['192.168.1.5', 8003, '127.0.0.1', 8003, false],
  ['192.168.1.5', 8003, 'localhost', 8003, false],
  ['2001:db8::5', 8003, '[2001:DB8:0::5]', 8003, true],
  ['proxy.lan', 8003, 'PROXY.LAN', 8003, true],
  ['proxy.lan', 8003, 'server.lan', 8003, false],
  // Port 0 picks a free port: nothing can name it.
  ['0.0.0.0', 0, '127.0.0.1', 0, false],
];

for (const [listenHost, listenPort, target, targetPort, loops] of cases) {
  test(`listen ${listenHost}:${listenPort} → ${target}:${targetPort}: ${loops ? 'loop' : 'no loop'}`, () => {
    assert.equal(
      loopsBack({
        listen: { host: listenHost, port: listenPort },
        target: { host: target, port: targetPort },
        localAddresses: local,
      }),
      loops,
    );
  });
}

test('without local addresses, a LAN address is not recognised as this machine', () => {
  assert.equal(
    loopsBack({
      listen: { host: '0.0.0.0', port: 8003 },
      target: { host: '192.168.1.5', port: 8003 },
      localAddresses: [],
    }),
    false,
  );
});
