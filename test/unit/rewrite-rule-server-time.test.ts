import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { serverTime } from '../../src/rewrite/rules/server-time.js';
import type { JsonObject } from '../../src/rewrite/types.js';
import {
  serverTimeItem,
  testConfig,
  testContext,
  testDevice,
  testRequest,
} from '../helpers/config-fixture.js';
import { upstreamReply } from '../helpers/upstream-replies.js';

const NOW = Date.UTC(2026, 6, 15, 12, 0, 0, 123); // summer: Berlin is +120

function ctxWith(
  items: ReturnType<typeof serverTimeItem>[],
  overrides: Parameters<typeof testContext>[0] = {},
) {
  return testContext({ now: NOW, ...overrides, config: testConfig({ serverTime: items }) });
}

const zone = (name: string) => ({ kind: 'zone', name }) as const;
const fixed = (offsetMinutes: number) => ({ kind: 'fixed', offsetMinutes }) as const;

describe('timezone: <zone>', () => {
  test("timestamp is ctx.now in ms, offset the zone's at that instant (DST-aware)", () => {
    const upstream = upstreamReply('python-default-post');
    const out = serverTime.apply(upstream, ctxWith([serverTimeItem(zone('Europe/Berlin'))]));
    assert.equal(out.applied, true);
    assert.deepEqual(out.body.server_time, { timestamp: NOW, timezone_offset: 120 });
    assert.deepEqual(Object.keys(out.body), Object.keys(upstream));
    const winter = Date.UTC(2026, 0, 15);
    const outWinter = serverTime.apply(
      upstream,
      ctxWith([serverTimeItem(zone('Europe/Berlin'))], { now: winter }),
    );
    assert.deepEqual(outWinter.body.server_time, { timestamp: winter, timezone_offset: 60 });
  });

  test('a timeZone name the upstream sent is set to the configured zone (java-bound-no-firmware)', () => {
    const out = serverTime.apply(
      upstreamReply('java-bound-no-firmware'),
      ctxWith([serverTimeItem(zone('Europe/Berlin'))]),
    );
    assert.deepEqual(out.body.server_time, {
      timestamp: NOW,
      timeZone: 'Europe/Berlin',
      timezone_offset: 120,
    });
  });

  test('a timeZone member in any case is the one replaced; none is added where none was sent', () => {
    const body: JsonObject = { server_time: { TIMEZONE: 'Asia/Shanghai', timestamp: 1, extra: true } };
    const out = serverTime.apply(body, ctxWith([serverTimeItem(zone('UTC'))]));
    assert.deepEqual(out.body.server_time, {
      TIMEZONE: 'UTC',
      timestamp: NOW,
      extra: true,
      timezone_offset: 0,
    });
  });

  test('creates the section when the upstream sent none, or sent something that is not an object', () => {
    const out = serverTime.apply(
      { websocket: { url: 'ws://a/' } },
      ctxWith([serverTimeItem(zone('Asia/Kolkata'))]),
    );
    assert.deepEqual(out.body, {
      websocket: { url: 'ws://a/' },
      server_time: { timestamp: NOW, timezone_offset: 330 },
    });
    const nulled = serverTime.apply({ server_time: null }, ctxWith([serverTimeItem(zone('Asia/Kolkata'))]));
    assert.deepEqual(nulled.body, { server_time: { timestamp: NOW, timezone_offset: 330 } });
  });

  test('a zone the runtime does not know leaves server_time alone, with a note', () => {
    const upstream = upstreamReply('python-default-post');
    const out = serverTime.apply(upstream, ctxWith([serverTimeItem(zone('Mars/Olympus_Mons'))]));
    assert.equal(out.applied, false);
    assert.equal(out.body, upstream);
    assert.equal(
      out.note,
      'time zone "Mars/Olympus_Mons" is unknown to this runtime: server_time left as sent',
    );
  });
});

describe('offset_minutes: <n>', () => {
  test('fixed offset, and a timeZone name is removed (java-bound-no-firmware)', () => {
    const out = serverTime.apply(
      upstreamReply('java-bound-no-firmware'),
      ctxWith([serverTimeItem(fixed(0))]),
    );
    assert.deepEqual(out.body.server_time, { timestamp: NOW, timezone_offset: 0 });
  });

  test('negative offsets; created when absent', () => {
    const out = serverTime.apply({}, ctxWith([serverTimeItem(fixed(-210))]));
    assert.deepEqual(out.body, { server_time: { timestamp: NOW, timezone_offset: -210 } });
  });
});

describe('timezone: upstream', () => {
  test('the upstream values are kept untouched (python-timezone-fraction: the guard repairs 330.0 later)', () => {
    const upstream = upstreamReply('python-timezone-fraction');
    assert.deepEqual(serverTime.apply(upstream, testContext({ now: NOW })), {
      body: upstream,
      applied: false,
    });
    assert.deepEqual(serverTime.apply({}, testContext({ now: NOW })), { body: {}, applied: false });
  });
});

describe('`when:` per item (StackChan keeps UTC and applies its own zone: docs/device-contract.md §3)', () => {
  const offset = (
    items: ReturnType<typeof serverTimeItem>[],
    overrides: Parameters<typeof testContext>[0] = {},
  ) => {
    const out = serverTime.apply(upstreamReply('python-default-post'), ctxWith(items, overrides));
    return (out.body.server_time as JsonObject).timezone_offset;
  };
  const stackchan = testDevice({
    build: 'm5stack-stack-chan',
    boardType: 'm5stack-stack-chan',
    version: '1.2.4',
  });

  test('board', () => {
    const items = [
      serverTimeItem(fixed(0), { board: ['m5stack-stack-chan'] }),
      serverTimeItem(zone('Europe/Berlin')),
    ];
    assert.equal(offset(items, { device: stackchan }), 0);
    assert.equal(offset(items), 120);
  });

  test('devices and version', () => {
    const items = [
      serverTimeItem(fixed(0), { devices: ['aa:bb:cc:dd:ee:01'], version: ['>=1.2.0 <1.3.0'] }),
      serverTimeItem(zone('Asia/Shanghai')),
    ];
    assert.equal(offset(items, { device: stackchan }), 0);
    assert.equal(offset(items, { device: testDevice({ ...stackchan, version: '1.3.0' }) }), 480);
    assert.equal(offset(items, { device: testDevice({ ...stackchan, id: 'aa:bb:cc:dd:ee:02' }) }), 480);
  });

  test('source and host', () => {
    const items = [
      serverTimeItem(zone('America/New_York'), { source: ['192.168.1.0/24'], host: ['192.168.1.10'] }),
    ];
    assert.equal(offset(items), -240);
    assert.equal(
      offset(items, { request: testRequest({ host: 'other' }) }),
      480,
      'no match: the upstream value stays',
    );
  });
});
