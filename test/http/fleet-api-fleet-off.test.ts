/**
 * With `fleet.enabled: false` the fleet's endpoints answer 404 `{"error":"fleet is off"}` (docs/fleet.md
 * "Principles"), while the catalog view, PATCH and upload keep working and their changes are only logged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAppImage } from '../helpers/app-image.js';
import { api, json, startFleetProxy } from '../helpers/fleet-api.js';
import type { Harness } from '../helpers/proxy-harness.js';
import { entryId } from '../../src/fleet/entry-id.js';

const BREAD = entryId('bread-compact-wifi', '1.7.0');

describe('fleet API with the fleet off', () => {
  let h: Harness;
  before(async () => {
    h = await startFleetProxy(null);
  });
  after(() => h.close());

  test('devices, rollouts, unblock, halt/resume and audit: 404 fleet is off', async () => {
    for (const [method, path] of [
      ['GET', '/devices'],
      ['GET', '/devices/aa:bb:cc:00:00:01'],
      ['POST', '/devices/aa:bb:cc:00:00:01/unblock'],
      ['GET', '/rollouts'],
      ['POST', `/rollouts/${BREAD}/halt`],
      ['POST', `/rollouts/${BREAD}/resume`],
      ['GET', '/audit'],
    ] as const) {
      const reply = await api(h, method, path);
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.equal(reply.body.error, 'fleet is off', `${method} ${path}`);
      assert.equal(reply.body.code, 'FLEET_OFF');
    }
  });

  test('the catalog, PATCH and upload keep working; their changes are logged', async () => {
    assert.equal((await api(h, 'GET', '/catalog')).status, 200);
    assert.equal((await api(h, 'PATCH', `/catalog/${BREAD}`, json({ rollout: 40 }))).status, 200);
    const upload = await api(h, 'POST', '/firmware?board=off-board', {
      body: buildAppImage({ version: '1.0.1' }),
      type: 'application/octet-stream',
    });
    assert.equal(upload.status, 201);
    const logged = h.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('operator: '));
    assert.deepEqual(
      logged.map((l) => [l.msg, l.target, l.means, l.address]),
      [
        ['operator: catalog.patch', BREAD, 'api', '127.0.0.1'],
        ['operator: firmware.upload', entryId('off-board', '1.0.1'), 'api', '127.0.0.1'],
      ],
    );
  });
});
