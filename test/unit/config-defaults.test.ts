import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseCidr } from '../../src/match/cidr.js';
import type { Config } from '../../src/config/types.js';
import { parse, TEST_PATH } from '../helpers/config-issues.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** docs/configuration.md's defaults block, resolved. */
function defaults(text: string): Config {
  return {
    file: TEST_PATH,
    hash: sha256(text),
    listen: { host: '0.0.0.0', port: 8003 },
    upstream: {
      target: { scheme: 'http', host: '127.0.0.1', port: 8002, href: 'http://127.0.0.1:8002' },
      timeoutMs: 8000,
      maxBodyBytes: 262144,
    },
    otaPath: '/xiaozhi/ota/',
    publicUrl: 'auto',
    trustedProxies: [parseCidr('127.0.0.0/8'), parseCidr('::1/128')].map((c) => c ?? assert.fail()),
    rewrite: [],
    websocket: null,
    mqtt: [{ when: {}, mode: 'keep' }],
    serverTime: [{ when: {}, zone: { kind: 'upstream' } }],
    firmware: { dir: null, upstreamOffers: 'keep', requireToken: false },
    fallback: { enabled: true, rememberDevices: 10000 },
    breaker: { failures: 5, cooldownMs: 10000 },
    limits: { deviceBodyBytes: 65536, headersTimeoutMs: 10000, requestTimeoutMs: 30000 },
    passthrough: { maxConcurrent: 64 },
    voiceProxy: { path: '/xiaozhi/v1/', upstream: null },
    tls: null,
    admin: { token: null, listen: null, exchanges: 200 },
    fleet: {
      enabled: false,
      store: { kind: 'memory' },
      tokenSecret: null,
      flushMs: 1000,
      syncMs: 5000,
      maxPending: 100000,
      maxDevices: 1000000,
      maxFailedAttempts: 3,
      silentAfterDownloadMinutes: 30,
      attemptTimeoutHours: 24,
      halt: { minFailedDevices: 3, failureRate: 0.2 },
      forgetAfterDays: 365,
    },
    shutdownGraceMs: 10000,
    log: { level: 'info', pretty: 'auto' },
  };
}

test('an empty file gives the defaults', () => {
  assert.deepEqual(parse(''), defaults(''));
});

test('a file of comments only gives the defaults', () => {
  const text = '# nothing set yet\n\n# listen: 0.0.0.0:9000\n';
  assert.deepEqual(parse(text), defaults(text));
});

test("an explicitly null section gives that section's defaults", () => {
  const text = 'upstream:\nlimits: ~\n';
  assert.deepEqual(parse(text), defaults(text));
});

test('the hash is the sha256 of the text', () => {
  assert.equal(parse('listen: 0.0.0.0:8003\n').hash, sha256('listen: 0.0.0.0:8003\n'));
});
