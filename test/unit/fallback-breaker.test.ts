import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../src/fallback/breaker.js';

function breaker(failures = 3, cooldownMs = 1000) {
  let now = 0;
  const b = new CircuitBreaker({ failures, cooldownMs, now: () => now });
  return { b, advance: (ms: number) => (now += ms) };
}

test('opens after N consecutive failures; a success in between resets the count', () => {
  const { b } = breaker(3);
  b.record('failure', b.permit());
  b.record('failure', b.permit());
  b.record('success', b.permit());
  b.record('failure', b.permit());
  b.record('failure', b.permit());
  assert.equal(b.state, 'closed');
  b.record('failure', b.permit());
  assert.equal(b.state, 'open');
  assert.equal(b.permit(), 'reject');
});

test('after the cool-down exactly one probe goes; the rest are rejected until it reports', () => {
  const { b, advance } = breaker(1, 1000);
  b.record('failure', b.permit());
  advance(999);
  assert.equal(b.permit(), 'reject');
  advance(1);
  assert.equal(b.permit(), 'probe');
  assert.equal(b.state, 'half-open');
  assert.equal(b.permit(), 'reject');
  assert.equal(b.permit(), 'reject');
});

test('a successful probe closes; a failed probe restarts the cool-down', () => {
  const { b, advance } = breaker(1, 1000);
  b.record('failure', b.permit());
  advance(1000);
  const probe = b.permit();
  b.record('failure', probe);
  assert.equal(b.state, 'open');
  advance(500);
  assert.equal(b.permit(), 'reject');
  advance(500);
  const second = b.permit();
  assert.equal(second, 'probe');
  b.record('success', second);
  assert.equal(b.state, 'closed');
  assert.equal(b.permit(), 'pass');
});

test('a late success from a request let through before the breaker opened does not close it', () => {
  const { b } = breaker(1);
  const early = b.permit();
  b.record('failure', b.permit());
  assert.equal(b.state, 'open');
  b.record('success', early);
  assert.equal(b.state, 'open');
});
