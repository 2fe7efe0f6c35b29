import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTimeZone, localOffsetMinutes, zoneOffsetMinutes } from '../../src/device/time-zone.js';

const WINTER = Date.UTC(2026, 0, 15, 12, 0, 0);
const SUMMER = Date.UTC(2026, 6, 15, 12, 0, 0);

test('fixed zones: minutes east of UTC', () => {
  assert.equal(zoneOffsetMinutes('Asia/Shanghai', WINTER), 480);
  assert.equal(zoneOffsetMinutes('Asia/Kolkata', WINTER), 330);
  assert.equal(zoneOffsetMinutes('Asia/Kathmandu', WINTER), 345);
  assert.equal(zoneOffsetMinutes('UTC', WINTER), 0);
  assert.equal(zoneOffsetMinutes('America/St_Johns', WINTER), -210);
});

test('DST-aware, on both hemispheres', () => {
  assert.equal(zoneOffsetMinutes('Europe/Berlin', WINTER), 60);
  assert.equal(zoneOffsetMinutes('Europe/Berlin', SUMMER), 120);
  assert.equal(zoneOffsetMinutes('America/New_York', WINTER), -300);
  assert.equal(zoneOffsetMinutes('America/New_York', SUMMER), -240);
  assert.equal(zoneOffsetMinutes('Australia/Sydney', WINTER), 660);
  assert.equal(zoneOffsetMinutes('Australia/Sydney', SUMMER), 600);
});

test('right at a DST switch (Europe/Berlin, 2026-03-29 01:00 UTC)', () => {
  const switchAt = Date.UTC(2026, 2, 29, 1, 0, 0);
  assert.equal(zoneOffsetMinutes('Europe/Berlin', switchAt - 1), 60);
  assert.equal(zoneOffsetMinutes('Europe/Berlin', switchAt), 120);
});

test('sub-second instants and midnight are read correctly', () => {
  assert.equal(zoneOffsetMinutes('Asia/Shanghai', Date.UTC(2026, 0, 1, 16, 0, 0, 999)), 480);
  assert.equal(zoneOffsetMinutes('America/New_York', Date.UTC(2026, 0, 1, 5, 0, 0, 0)), -300);
});

test('historical offsets with seconds are rounded to whole minutes', () => {
  // Kolkata kept +05:21:10 until 1906; Monrovia -00:44:30 until 1972 (Math.round: halves go up).
  assert.equal(zoneOffsetMinutes('Asia/Kolkata', Date.UTC(1900, 0, 1)), 321);
  assert.equal(zoneOffsetMinutes('Africa/Monrovia', Date.UTC(1960, 0, 1)), -44);
});

test('an unknown zone throws RangeError; isTimeZone tells beforehand', () => {
  assert.throws(() => zoneOffsetMinutes('Mars/Olympus_Mons', WINTER), RangeError);
  assert.equal(isTimeZone('Mars/Olympus_Mons'), false);
  assert.equal(isTimeZone(''), false);
  assert.equal(isTimeZone('Europe/Berlin'), true);
});

test('localOffsetMinutes is the process zone, east-positive, never -0', () => {
  const saved = process.env.TZ;
  try {
    // West of UTC, with half hours and DST: a sign or unit mistake shows (under UTC every answer is 0).
    process.env.TZ = 'America/St_Johns';
    assert.equal(localOffsetMinutes(WINTER), -210);
    assert.equal(localOffsetMinutes(SUMMER), -150);
    process.env.TZ = 'Asia/Kathmandu';
    assert.equal(localOffsetMinutes(SUMMER), 345);
    // UTC: getTimezoneOffset() is 0, negated -0, which the device must never get.
    process.env.TZ = 'UTC';
    assert.ok(Object.is(localOffsetMinutes(SUMMER), 0));
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});
