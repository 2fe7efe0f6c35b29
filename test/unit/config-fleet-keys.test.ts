import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectIssue, parse } from '../helpers/config-issues.js';

// The wave-2 amendments: `fleet:`, `firmware.require_token`, `passthrough.max_concurrent`, and the 1 MiB
// ceiling of `upstream.max_body_bytes` (docs/configuration.md).

describe('fleet keys', () => {
  test('the store is memory, a SQLite file relative to the config file, or a postgres URL', () => {
    assert.deepEqual(parse('fleet:\n  store: memory\n').fleet.store, { kind: 'memory' });
    assert.deepEqual(parse('fleet:\n  store: ../data/fleet.db\n').fleet.store, {
      kind: 'sqlite',
      path: '/srv/proxy/data/fleet.db',
    });
    assert.deepEqual(parse('fleet:\n  store: postgres://u:p@db:5432/fleet\n').fleet.store, {
      kind: 'postgres',
      url: 'postgres://u:p@db:5432/fleet',
    });
    assert.deepEqual(parse('fleet:\n  store: postgresql://db/fleet\n').fleet.store, {
      kind: 'postgres',
      url: 'postgresql://db/fleet',
    });
  });

  test('another URL scheme is refused where it is written', () => {
    expectIssue('fleet:\n  store: mysql://db/fleet\n', { path: 'fleet.store', line: 2, col: 10 });
  });

  test('time windows take fractions, and must be above 0', () => {
    const fleet = parse(
      'fleet:\n  silent_after_download_minutes: 0.05\n  attempt_timeout_hours: 0.01\n',
    ).fleet;
    assert.equal(fleet.silentAfterDownloadMinutes, 0.05);
    assert.equal(fleet.attemptTimeoutHours, 0.01);
    expectIssue('fleet:\n  forget_after_days: 0\n', { path: 'fleet.forget_after_days', line: 2, col: 22 });
  });

  test('halt thresholds are checked in their own section', () => {
    const halt = parse('fleet:\n  halt:\n    min_failed_devices: 5\n').fleet.halt;
    assert.deepEqual(halt, { minFailedDevices: 5, failureRate: 0.2 });
    expectIssue('fleet:\n  halt:\n    failure_rate: 1.5\n', {
      path: 'fleet.halt.failure_rate',
      line: 3,
      col: 19,
    });
    expectIssue('fleet:\n  halt:\n    rate: 0.5\n', { path: 'fleet.halt.rate', line: 3, col: 5 });
  });

  test('a short token secret is refused', () => {
    expectIssue('fleet:\n  token_secret: short\n', { path: 'fleet.token_secret', line: 2, col: 17 });
    assert.equal(
      parse('fleet:\n  token_secret: a-long-enough-secret\n').fleet.tokenSecret,
      'a-long-enough-secret',
    );
  });
});

describe('firmware.require_token', () => {
  test('needs the fleet on', () => {
    const issue = expectIssue('firmware:\n  require_token: true\n', {
      path: 'firmware.require_token',
      line: 2,
      col: 18,
    });
    assert.match(issue.message, /fleet\.enabled/);
    assert.equal(
      parse('firmware:\n  require_token: true\nfleet:\n  enabled: true\n').firmware.requireToken,
      true,
    );
  });
});

describe('passthrough and upstream bounds', () => {
  test('passthrough.max_concurrent is a whole number of at least 1', () => {
    assert.equal(parse('passthrough:\n  max_concurrent: 8\n').passthrough.maxConcurrent, 8);
    expectIssue('passthrough:\n  max_concurrent: 0\n', {
      path: 'passthrough.max_concurrent',
      line: 2,
      col: 19,
    });
  });

  test('upstream.max_body_bytes is at most 1 MiB', () => {
    assert.equal(parse('upstream:\n  max_body_bytes: 1048576\n').upstream.maxBodyBytes, 1048576);
    expectIssue('upstream:\n  max_body_bytes: 1048577\n', {
      path: 'upstream.max_body_bytes',
      line: 2,
      col: 19,
    });
  });
});
