import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOperatorSurface } from '../../src/admin/operator-app.js';
import { exchangeRecord } from '../../src/gateway/exchange-record.js';
import { testConfig } from '../helpers/config-fixture.js';

const record = (n: number) =>
  exchangeRecord(
    { method: 'POST', url: '/xiaozhi/ota/', headers: {} },
    { kind: 'check', at: 1_700_000_000_000 + n, address: '10.0.0.2', device: null },
    { outcome: 'rewritten', status: 200, upstreamBody: '{"websocket":{"token":"secret"}}' },
  );

test('without admin.token the exchange ring keeps nothing (nobody can read it); with it, admin.exchanges', () => {
  const base = testConfig();
  const surface = createOperatorSurface({ exchanges: base.admin.exchanges, processMetrics: false });
  surface.configLoaded('start', testConfig({ admin: { ...base.admin, token: null, exchanges: 5 } }));
  for (let i = 0; i < 3; i++) surface.record(record(i));
  assert.equal(surface.exchanges.size, 0);
  assert.equal(surface.exchanges.capacity, 0);

  // Turned on by a reload: kept from then on, as many as admin.exchanges.
  surface.configLoaded(
    'ok',
    testConfig({ admin: { ...base.admin, token: 'a-long-enough-token', exchanges: 2 } }),
  );
  for (let i = 0; i < 3; i++) surface.record(record(i));
  assert.equal(surface.exchanges.size, 2);
  assert.equal(surface.exchanges.list()[0]?.at, new Date(1_700_000_000_002).toISOString());
  assert.doesNotMatch(JSON.stringify(surface.exchanges.list()), /secret/);

  // And off again: nothing kept, nothing shown.
  surface.configLoaded('ok', testConfig({ admin: { ...base.admin, token: null, exchanges: 2 } }));
  assert.equal(surface.exchanges.size, 0);
});
