import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Config } from '../../src/config/types.js';
import { parseCidr } from '../../src/match/cidr.js';
import { compileGlob } from '../../src/match/glob.js';
import type { Cidr, VersionRange } from '../../src/match/types.js';
import { parseVersionRange } from '../../src/match/version.js';
import { parseTemplate } from '../../src/config/template.js';
import type { Template } from '../../src/config/types.js';
import { parse, TEST_PATH } from '../helpers/config-issues.js';

const cidr = (t: string): Cidr => parseCidr(t) ?? assert.fail(t);
const range = (t: string): VersionRange => {
  const r = parseVersionRange(t);
  return typeof r === 'string' ? assert.fail(r) : r;
};
const template = (t: string): Template => {
  const r = parseTemplate(t);
  return typeof r === 'string' ? assert.fail(r) : r;
};

const text = `
listen: "[::]:9003"
upstream:
  url: HTTPS://Upstream.Example.com
  timeout_ms: \${TIMEOUT}
  max_body_bytes: 100000
ota_path: xiaozhi/ota
public_url: https://ota.example.com:8443/
trusted_proxies: 10.0.0.0/8
rewrite:
  - from: http://172.21.0.5:8003/
    to: "{scheme}://{host}:{port}/"
  - from: ws://172.21.0.5:8000/
    to: wss://voice.example.com/
    when:
      source: [192.168.0.0/16, "::ffff:10.0.0.0/104"]
      host: "*.example.com"
websocket:
  - when:
      board: [m5stack-*, "bread-*"]
      devices: AA-BB-CC-DD-EE-01
      version: [">=1.6.0 <1.8.0", "2.0.0"]
    url: wss://voice.example.com/xiaozhi/v1/
    token: "stale-token-cleared"
  - url: ws://{host}:8000/xiaozhi/v1/
    token: ""
mqtt:
  - when: {source: 192.168.1.0/24}
    mode: strip
  - keep
server_time:
  - when: {board: m5stack-stack-chan}
    offset_minutes: -90
  - timezone: europe/berlin
firmware:
  dir: ../images
  upstream_offers: drop
fallback:
  enabled: false
  remember_devices: 0
breaker:
  failures: 1
  cooldown_ms: 0
limits:
  device_body_bytes: 1024
  headers_timeout_ms: 2000
  request_timeout_ms: 2000
voice_proxy:
  path: /voice
  upstream: wss://[fd00::5]:8443
tls:
  cert: /etc/tls/cert.pem
  key: tls/key.pem
admin:
  token: "\${ADMIN_TOKEN}"
  listen: 127.0.0.1:9090
  exchanges: 0
shutdown_grace_ms: 0
log:
  level: debug
  pretty: false
`;

test('a fully specified file resolves to the expected Config', () => {
  const expected: Config = {
    file: TEST_PATH,
    hash: createHash('sha256').update(text).digest('hex'),
    listen: { host: '::', port: 9003 },
    upstream: {
      target: {
        scheme: 'https',
        host: 'upstream.example.com',
        port: 443,
        href: 'https://upstream.example.com:443',
      },
      timeoutMs: 5000,
      maxBodyBytes: 100000,
    },
    otaPath: '/xiaozhi/ota/',
    publicUrl: { scheme: 'https', host: 'ota.example.com', port: 8443 },
    trustedProxies: [cidr('10.0.0.0/8')],
    rewrite: [
      { from: 'http://172.21.0.5:8003/', to: template('{scheme}://{host}:{port}/'), when: {} },
      {
        from: 'ws://172.21.0.5:8000/',
        to: template('wss://voice.example.com/'),
        when: {
          source: [cidr('192.168.0.0/16'), cidr('::ffff:10.0.0.0/104')],
          host: [compileGlob('*.example.com')],
        },
      },
    ],
    websocket: [
      {
        when: {
          board: [compileGlob('m5stack-*'), compileGlob('bread-*')],
          devices: ['aa:bb:cc:dd:ee:01'],
          version: [range('>=1.6.0 <1.8.0'), range('2.0.0')],
        },
        url: template('wss://voice.example.com/xiaozhi/v1/'),
        token: 'stale-token-cleared',
      },
      { when: {}, url: template('ws://{host}:8000/xiaozhi/v1/'), token: '' },
    ],
    mqtt: [
      { when: { source: [cidr('192.168.1.0/24')] }, mode: 'strip' },
      { when: {}, mode: 'keep' },
    ],
    serverTime: [
      { when: { board: [compileGlob('m5stack-stack-chan')] }, zone: { kind: 'fixed', offsetMinutes: -90 } },
      { when: {}, zone: { kind: 'zone', name: 'Europe/Berlin' } },
    ],
    firmware: { dir: '/srv/proxy/images', upstreamOffers: 'drop', requireToken: false },
    fallback: { enabled: false, rememberDevices: 0 },
    breaker: { failures: 1, cooldownMs: 0 },
    limits: { deviceBodyBytes: 1024, headersTimeoutMs: 2000, requestTimeoutMs: 2000 },
    passthrough: { maxConcurrent: 64 },
    voiceProxy: {
      path: '/voice/',
      upstream: {
        scheme: 'https',
        wsScheme: 'wss',
        host: '[fd00::5]',
        port: 8443,
        href: 'wss://[fd00::5]:8443',
      },
    },
    tls: { cert: '/etc/tls/cert.pem', key: '/srv/proxy/config/tls/key.pem' },
    admin: { token: '12345', listen: { host: '127.0.0.1', port: 9090 }, exchanges: 0 },
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
    shutdownGraceMs: 0,
    log: { level: 'debug', pretty: false },
  };
  // ADMIN_TOKEN is quoted, so the digits stay text; TIMEOUT is not, so it is read as a number.
  assert.deepEqual(parse(text, { env: { TIMEOUT: '5000', ADMIN_TOKEN: '12345' } }), expected);
});
