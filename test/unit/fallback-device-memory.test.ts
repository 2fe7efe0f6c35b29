import { test } from 'node:test';
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
