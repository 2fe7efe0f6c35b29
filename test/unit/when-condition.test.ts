import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from '../../src/match/cidr.js';
import { compileGlob } from '../../src/match/glob.js';
import { normalizeMac } from '../../src/match/mac.js';
import type { Cidr, Condition, MatchInput, VersionRange } from '../../src/match/types.js';
import { parseVersionRange } from '../../src/match/version.js';
import { firstMatching, matchesCondition } from '../../src/match/when.js';

const cidr = (t: string): Cidr => parseCidr(t) ?? assert.fail(t);
const mac = (t: string): string => normalizeMac(t) ?? assert.fail(t);
const range = (t: string): VersionRange => {
  const r = parseVersionRange(t);
  return typeof r === 'string' ? assert.fail(r) : r;
};

const device: MatchInput = {
  address: '192.168.1.23',
  host: 'ota.example.com',
  build: 'bread-compact-wifi-128x64',
  boardType: 'bread-compact-wifi',
  deviceId: 'aa:bb:cc:dd:ee:01',
  version: '1.7.2',
};
const unknown: MatchInput = {
  address: null,
  host: null,
  build: null,
  boardType: null,
  deviceId: null,
  version: null,
};

describe('matchesCondition', () => {
  test('the empty condition matches every device, even an unknown one', () => {
    assert.equal(matchesCondition({}, device), true);
    assert.equal(matchesCondition({}, unknown), true);
  });

  test('source: CIDR on the address, members ORed, IPv4-mapped unmapped', () => {
    assert.equal(matchesCondition({ source: [cidr('10.0.0.0/8'), cidr('192.168.1.0/24')] }, device), true);
    assert.equal(matchesCondition({ source: [cidr('10.0.0.0/8')] }, device), false);
    assert.equal(
      matchesCondition({ source: [cidr('192.168.1.0/24')] }, { ...device, address: '::ffff:192.168.1.23' }),
      true,
    );
  });

  test('host: glob, case-insensitive', () => {
    assert.equal(matchesCondition({ host: [compileGlob('*.EXAMPLE.com')] }, device), true);
    assert.equal(matchesCondition({ host: [compileGlob('lan.local'), compileGlob('ota.*')] }, device), true);
    assert.equal(matchesCondition({ host: [compileGlob('lan.local')] }, device), false);
  });

  test('board: matches the build name or the board type', () => {
    assert.equal(matchesCondition({ board: [compileGlob('bread-compact-wifi-128x64')] }, device), true);
    assert.equal(matchesCondition({ board: [compileGlob('bread-compact-wifi')] }, device), true);
    assert.equal(
      matchesCondition({ board: [compileGlob('bread-compact-wifi')] }, { ...device, boardType: null }),
      false,
    );
    assert.equal(
      matchesCondition({ board: [compileGlob('bread-compact-wifi-128x64')] }, { ...device, build: null }),
      false,
    );
    assert.equal(
      matchesCondition({ board: [compileGlob('m5stack-*'), compileGlob('*-128x64')] }, device),
      true,
    );
    assert.equal(matchesCondition({ board: [compileGlob('m5stack-*')] }, device), false);
  });

  test('devices: MAC equality, whatever the spelling of the Device-Id', () => {
    assert.equal(matchesCondition({ devices: [mac('AA-BB-CC-DD-EE-01')] }, device), true);
    assert.equal(
      matchesCondition({ devices: [mac('aa:bb:cc:dd:ee:01')] }, { ...device, deviceId: 'AABBCCDDEE01' }),
      true,
    );
    assert.equal(
      matchesCondition({ devices: [mac('aa:bb:cc:dd:ee:02'), mac('aa:bb:cc:dd:ee:01')] }, device),
      true,
    );
    assert.equal(matchesCondition({ devices: [mac('aa:bb:cc:dd:ee:02')] }, device), false);
    assert.equal(
      matchesCondition({ devices: [mac('aa:bb:cc:dd:ee:02')] }, { ...device, deviceId: 'not-a-mac' }),
      false,
    );
  });

  test('version: ranges ORed, compared by leading digits', () => {
    assert.equal(matchesCondition({ version: [range('>=1.6.0 <1.8.0')] }, device), true);
    assert.equal(matchesCondition({ version: [range('>=2.0.0')] }, device), false);
    assert.equal(matchesCondition({ version: [range('>=2.0.0'), range('<1.8')] }, device), true);
    assert.equal(
      matchesCondition({ version: [range('=2.0.0')] }, { ...device, version: '2.0.0-beta' }),
      true,
    );
    // A version the device could not parse itself is unknown.
    assert.equal(matchesCondition({ version: [range('>=0')] }, { ...device, version: 'v2.0.0' }), false);
  });

  test('keys are ANDed', () => {
    const cond: Condition = {
      source: [cidr('192.168.1.0/24')],
      board: [compileGlob('bread-*')],
      version: [range('>=1.7')],
    };
    assert.equal(matchesCondition(cond, device), true);
    assert.equal(matchesCondition(cond, { ...device, version: '1.6.9' }), false);
    assert.equal(matchesCondition(cond, { ...device, address: '10.0.0.1' }), false);
  });

  test('a key whose input is unknown does not match', () => {
    const conditions: Condition[] = [
      { source: [cidr('0.0.0.0/0')] },
      { host: [compileGlob('*')] },
      { board: [compileGlob('*')] },
      { devices: [mac('aa:bb:cc:dd:ee:01')] },
      { version: [range('>=0')] },
    ];
    for (const cond of conditions)
      assert.equal(matchesCondition(cond, unknown), false, JSON.stringify(Object.keys(cond)));
  });
});

describe('firstMatching', () => {
  const items = [
    { when: { board: [compileGlob('m5stack-*')] }, name: 'stackchan' },
    { when: { source: [cidr('192.168.1.0/24')] }, name: 'lan' },
    { when: {}, name: 'everyone' },
  ];
  test('the first matching item wins', () => {
    assert.equal(firstMatching(items, device)?.name, 'lan');
    assert.equal(firstMatching(items, { ...device, build: 'm5stack-stack-chan' })?.name, 'stackchan');
    assert.equal(firstMatching(items, unknown)?.name, 'everyone');
  });
  test('null when none matches', () => {
    assert.equal(firstMatching(items.slice(0, 2), unknown), null);
    assert.equal(firstMatching([], device), null);
  });
});
