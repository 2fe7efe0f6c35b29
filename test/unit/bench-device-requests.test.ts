/**
 * The benchmark's devices: distinct ids at the same byte positions (every request keeps its exact
 * length), the same id scheme in the wrk script, and a 200-entry catalog whose expected offers follow
 * the rollout rule.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  BASELINE_VERSION,
  CATALOG_ENTRIES,
  ROLLOUT,
  catalogPlan,
  catalogYaml,
  expectedOffer,
} from '../../bench/catalog-plan.js';
import {
  CAPTURED_MAC,
  deviceClientId,
  deviceMac,
  deviceRequest,
  deviceRequestTemplate,
} from '../../bench/device-request.js';
import { luaString, wrkScript } from '../../bench/wrk-script.js';
import { percentile, sortedSamples } from '../../bench/stats.js';

describe('benchmark devices', () => {
  test('ids are distinct, well formed and the same length as the captured ones', () => {
    assert.equal(deviceMac(0), '02:00:00:00:00:00');
    assert.equal(deviceMac(2 ** 24 + 258), '02:00:01:00:01:02');
    assert.match(deviceClientId(2 ** 24 + 258), /^e4f1c2a8-3b6d-4f7e-9a15-000001000102$/);
    assert.notEqual(deviceMac(1), deviceMac(2));
  });

  test('every request has the captured length, its own ids in header and body, and Connection as asked', () => {
    const close = deviceRequestTemplate({ host: '127.0.0.1:8003', keepAlive: false });
    const a = deviceRequest(close, 7).toString('latin1');
    const b = deviceRequest(close, 8).toString('latin1');
    assert.equal(a.length, close.length);
    assert.equal(b.length, close.length);
    assert.ok(a.includes(`Device-Id: ${deviceMac(7)}\r\n`));
    assert.ok(a.includes(`"mac_address":"${deviceMac(7)}"`));
    assert.ok(a.includes(`Client-Id: ${deviceClientId(7)}\r\n`));
    assert.ok(!a.includes(CAPTURED_MAC));
    assert.ok(a.includes('Connection: close\r\n'));
    assert.ok(a.startsWith('POST /xiaozhi/ota/ HTTP/1.1\r\nHost: 127.0.0.1:8003\r\n'));
    const body = a.slice(a.indexOf('\r\n\r\n') + 4);
    assert.equal(body.length, close.bodyLength);
    assert.doesNotThrow(() => JSON.parse(body));
    const keepAlive = deviceRequest(deviceRequestTemplate({ host: 'h', keepAlive: true }), 7).toString(
      'latin1',
    );
    assert.ok(!/\r\nConnection:/i.test(keepAlive));
  });

  test('the wrk script escapes bytes for Lua and builds the same ids', () => {
    assert.equal(luaString(Buffer.from('a"b\\c\r\n', 'latin1')), '"a\\034b\\092c\\013\\010"');
    const script = wrkScript(deviceRequestTemplate({ host: 'h:1', keepAlive: true }), 5);
    assert.match(script, /local first = 5\n/);
    assert.match(script, /string\.format\("02:%02x:%02x:%02x:%02x:%02x"/);
    assert.match(script, /WRK_RESULT /);
  });

  test('the catalog plan has 200 distinct entries and one pin-free rollout for the benchmark device', () => {
    const plan = catalogPlan();
    assert.equal(plan.length, CATALOG_ENTRIES);
    assert.equal(new Set(plan.map((e) => `${e.board}|${e.version}`)).size, plan.length);
    assert.equal(new Set(plan.map((e) => e.file)).size, plan.length);
    for (const e of plan) assert.match(e.file, /^[A-Za-z0-9._-]+$/);
    const written = parse(catalogYaml(plan, new Map([[plan[0]?.file ?? '', 'ab'.repeat(32)]]))) as Record<
      string,
      unknown
    >[];
    assert.equal(written.length, plan.length);
    assert.deepEqual(written[0], {
      board: plan[0]?.board,
      version: plan[0]?.version,
      file: plan[0]?.file,
      sha256: 'ab'.repeat(32),
    });
    assert.ok(written.every((e) => typeof e.version === 'string'));
  });

  test('expected offers follow the rollout share', () => {
    let inside = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const offer = expectedOffer(deviceMac(i));
      assert.ok(offer === ROLLOUT.version || offer === BASELINE_VERSION);
      if (offer === ROLLOUT.version) inside++;
    }
    const share = (inside / n) * 100;
    assert.ok(Math.abs(share - ROLLOUT.percent) < 3, `share ${share}`);
  });

  test('percentiles are nearest-rank over every sample', () => {
    const sorted = sortedSamples([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
    assert.equal(percentile(sorted, 50), 5);
    assert.equal(percentile(sorted, 99), 10);
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile(new Float64Array(0), 50), null);
  });
});
