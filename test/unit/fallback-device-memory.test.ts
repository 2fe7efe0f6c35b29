import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceMemory } from '../../src/fallback/device-memory.js';

const entry = (url: string) => ({ websocket: { url }, mqtt: null });

test('bounded: the least recently seen device goes first', () => {
  const m = new DeviceMemory(2);
  m.remember('a', entry('ws://a/'));
  m.remember('b', entry('ws://b/'));
  assert.deepEqual(m.recall('a'), entry('ws://a/'));
  m.remember('c', entry('ws://c/'));
  assert.equal(m.size, 2);
  assert.equal(m.recall('b'), null);
  assert.deepEqual(m.recall('a')?.websocket, { url: 'ws://a/' });
});

test('resize evicts at once; capacity 0 remembers nothing; unknown ids give null', () => {
  const m = new DeviceMemory(3);
  for (const id of ['a', 'b', 'c']) m.remember(id, entry(id));
  m.resize(1);
  assert.equal(m.size, 1);
  assert.deepEqual(m.recall('c'), entry('c'));
  m.resize(0);
  m.remember('d', entry('d'));
  assert.equal(m.size, 0);
  assert.equal(m.recall(null), null);
});

test('peek reads without changing which device is dropped next', () => {
  const m = new DeviceMemory(2);
  m.remember('a', entry('ws://a/'));
  m.remember('b', entry('ws://b/'));
  assert.deepEqual(m.peek('a')?.websocket, { url: 'ws://a/' });
  m.remember('c', entry('ws://c/'));
  assert.equal(m.peek('a'), null, 'a was still the least recently seen');
  assert.deepEqual(m.peek('b'), entry('ws://b/'));
  assert.equal(m.peek(null), null);
});

describe('segmented: one-time ids cannot push out devices seen again', () => {
  test('a device seen twice survives any number of strangers; strangers push out only each other', () => {
    const m = new DeviceMemory(10_000);
    m.remember('real', entry('ws://real/'));
    m.remember('real', entry('ws://real/2'));
    for (let i = 0; i < 12_000; i++) m.remember(`stranger-${i}`, entry('ws://s/'));
    assert.equal(m.size, 10_000);
    assert.deepEqual(m.peek('real')?.websocket, { url: 'ws://real/2' }, 'the latest sections are kept');
    assert.equal(m.peek('stranger-2000'), null, 'the least recently seen strangers went first');
    assert.ok(m.peek('stranger-2001'));
    assert.ok(m.peek('stranger-11999'));
  });

  test('a fallback that recalls a device counts as seeing it again', () => {
    const m = new DeviceMemory(10);
    m.remember('real', entry('ws://real/'));
    assert.ok(m.recall('real'));
    for (let i = 0; i < 100; i++) m.remember(`stranger-${i}`, entry('ws://s/'));
    assert.ok(m.peek('real'));
    assert.equal(m.protectedSize, 1);
  });

  test('devices seen again hold at most 80 % of the capacity; the least recently seen of them moves back', () => {
    const m = new DeviceMemory(10);
    for (let i = 0; i < 9; i++) {
      m.remember(`d${i}`, entry('ws://d/'));
      m.remember(`d${i}`, entry('ws://d/'));
    }
    assert.equal(m.protectedSize, 8);
    assert.equal(m.size, 9);
    // d0, pushed back to probation, is now a one-time device again: the first to go for strangers.
    m.remember('s1', entry('ws://s/'));
    m.remember('s2', entry('ws://s/'));
    assert.equal(m.size, 10);
    assert.equal(m.peek('d0'), null);
    for (let i = 1; i < 9; i++) assert.ok(m.peek(`d${i}`), `d${i}`);
    assert.ok(m.peek('s1'));
    assert.ok(m.peek('s2'));
  });

  test('shrinking keeps devices seen again before devices seen once', () => {
    const m = new DeviceMemory(10);
    m.remember('real', entry('ws://real/'));
    m.remember('real', entry('ws://real/'));
    for (let i = 0; i < 9; i++) m.remember(`s${i}`, entry('ws://s/'));
    m.resize(2);
    assert.equal(m.size, 2);
    assert.ok(m.peek('real'));
    assert.ok(m.peek('s8'));
  });

  test('the least recently seen goes first after thousands of sightings and evictions', () => {
    const m = new DeviceMemory(3);
    m.remember('a', entry('ws://a/'));
    m.remember('b', entry('ws://b/'));
    m.remember('c', entry('ws://c/'));
    // `a` seen again and again (its older records go stale), then `c` once more.
    for (let i = 0; i < 5000; i++) m.remember('a', entry(`ws://a/${i}`));
    m.remember('c', entry('ws://c/2'));
    // A stream of strangers: each pushes out the one before it, never `a` or `c` (seen again).
    for (let i = 0; i < 5000; i++) m.remember(`s${i}`, entry('ws://s/'));
    assert.equal(m.size, 3);
    assert.equal(m.peek('a')?.websocket?.url, 'ws://a/4999');
    assert.equal(m.peek('c')?.websocket?.url, 'ws://c/2');
    assert.equal(m.peek('b'), null);
    assert.ok(m.peek('s4999'));
    assert.equal(m.peek('s4998'), null);
    // Protected holds at most 2 (80 % of 3): a third device seen again moves the least recent one back.
    m.remember('s4999', entry('ws://s/2'));
    assert.equal(m.protectedSize, 2);
    m.remember('x', entry('ws://x/'));
    assert.equal(m.size, 3);
    assert.equal(m.peek('a'), null, 'a, least recently seen of the three, went back to probation and out');
    assert.ok(m.peek('c'));
    assert.ok(m.peek('s4999'));
    assert.ok(m.peek('x'));
  });
});
