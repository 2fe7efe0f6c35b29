import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inCidrs, parseCidr, parseIp, unmapAddress } from '../../src/match/cidr.js';
import type { Cidr } from '../../src/match/types.js';

function cidrs(...texts: string[]): Cidr[] {
  return texts.map((t) => {
    const c = parseCidr(t);
    if (c === null) throw new Error(t);
    return c;
  });
}

describe('parseIp', () => {
  const cases: [string, number[] | null][] = [
    ['10.0.0.1', [10, 0, 0, 1]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['::', new Array<number>(16).fill(0)],
    ['::1', [...new Array<number>(15).fill(0), 1]],
    ['2001:db8::ff00:42:8329', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0, 0x42, 0x83, 0x29]],
    ['2001:DB8:0:0:0:0:0:1', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['fe80::', [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['::ffff:10.0.0.1', [10, 0, 0, 1]],
    ['::FFFF:a00:1', [10, 0, 0, 1]],
    ['64:ff9b::192.0.2.33', [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33]],
    ['1:2:3:4:5:6:7::', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]],
    ['256.0.0.1', null],
    ['10.0.0', null],
    ['010.0.0.1', null],
    ['1.2.3.4.5', null],
    ['fe80::1%eth0', null],
    ['[::1]', null],
    ['1::2::3', null],
    [':::1', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['1:2:3:4:5:6:7:8::', null],
    ['12345::', null],
    ['::ffff:300.0.0.1', null],
    ['localhost', null],
    ['', null],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => {
      const bytes = parseIp(text);
      assert.deepEqual(bytes === null ? null : Array.from(bytes), expected);
    });
  }
});

describe('unmapAddress', () => {
  test('unmaps IPv4-mapped IPv6', () => {
    assert.equal(unmapAddress('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(unmapAddress('::FFFF:192.168.1.23'), '192.168.1.23');
    assert.equal(unmapAddress('::ffff:a00:1'), '10.0.0.1');
  });
  test('leaves everything else alone', () => {
    for (const text of ['10.0.0.1', '::1', '2001:db8::1', 'fe80::1%eth0', 'example.com', ''])
      assert.equal(unmapAddress(text), text);
  });
});

describe('parseCidr', () => {
  test('a bare address is a /32 or /128', () => {
    assert.equal(parseCidr('10.0.0.1')?.prefix, 32);
    assert.equal(parseCidr('::1')?.prefix, 128);
  });
  test('host bits are masked off, the text is kept', () => {
    const c = parseCidr('192.168.1.77/24');
    assert.deepEqual(Array.from(c?.bytes ?? []), [192, 168, 1, 0]);
    assert.equal(c?.text, '192.168.1.77/24');
  });
  test('an IPv4-mapped block is stored as IPv4 with the prefix less 96', () => {
    const c = parseCidr('::ffff:10.0.0.0/104');
    assert.equal(c?.bytes.length, 4);
    assert.equal(c?.prefix, 8);
  });
  for (const bad of [
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/08',
    '10.0.0.0/8/8',
    '::ffff:10.0.0.0/64',
    'x/8',
    '',
    ' 10.0.0.0/8',
  ]) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseCidr(bad), null));
  }
});

describe('inCidrs compares bytes under the prefix', () => {
  const list = cidrs(
    '10.0.0.0/8',
    '192.168.1.0/24',
    'fd00::/8',
    '2001:db8:abcd::/48',
    '172.16.0.0/12',
    '100.64.0.1',
  );
  const cases: [string, boolean][] = [
    ['10.255.1.2', true],
    ['11.0.0.1', false],
    ['192.168.1.200', true],
    ['192.168.2.1', false],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['100.64.0.1', true],
    ['100.64.0.2', false],
    ['fd12:3456::1', true],
    ['fe00::1', false],
    ['2001:db8:abcd:12::1', true],
    ['2001:db8:abce::1', false],
    ['::ffff:10.1.2.3', true],
    ['[fd00::1]', true],
    ['not an address', false],
  ];
  for (const [addr, expected] of cases) test(addr, () => assert.equal(inCidrs(list, addr), expected));

  test('/0 matches every address of its family only', () => {
    assert.equal(inCidrs(cidrs('0.0.0.0/0'), '203.0.113.9'), true);
    assert.equal(inCidrs(cidrs('0.0.0.0/0'), '2001:db8::1'), false);
    assert.equal(inCidrs(cidrs('::/0'), '2001:db8::1'), true);
    assert.equal(inCidrs(cidrs('::/0'), '203.0.113.9'), false);
  });
  test('odd prefixes split inside a byte', () => {
    assert.equal(inCidrs(cidrs('10.0.0.128/25'), '10.0.0.129'), true);
    assert.equal(inCidrs(cidrs('10.0.0.128/25'), '10.0.0.127'), false);
    assert.equal(inCidrs(cidrs('2001:db8::/33'), '2001:db8:7fff::1'), true);
    assert.equal(inCidrs(cidrs('2001:db8::/33'), '2001:db8:8000::1'), false);
  });
});
