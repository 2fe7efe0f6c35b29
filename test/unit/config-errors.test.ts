import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectIssue, issuesOf, parse, TEST_FILE } from '../helpers/config-issues.js';

// One test per class of configuration error: the key path, the position, and `file:line:col` in the message.

describe('configuration errors say where', () => {
  test('unknown top-level key', () => {
    expectIssue('listen: 0.0.0.0:8003\nfoo: 1\n', { path: 'foo', line: 2, col: 1 });
  });

  test('unknown nested key, with a suggestion', () => {
    const issue = expectIssue('upstream:\n  timout_ms: 5000\n', {
      path: 'upstream.timout_ms',
      line: 2,
      col: 3,
    });
    assert.match(issue.message, /`timeout_ms`/);
  });

  test('unknown key inside a when block', () => {
    expectIssue('websocket:\n  when: {boards: x}\n  url: ws://a/\n', {
      path: 'websocket.when.boards',
      line: 2,
      col: 10,
    });
  });

  test('wrong type', () => {
    expectIssue('upstream:\n  timeout_ms: "5000"\n', { path: 'upstream.timeout_ms', line: 2, col: 15 });
    expectIssue('fallback:\n  enabled: yes\n', { path: 'fallback.enabled', line: 2, col: 12 });
    expectIssue('upstream: http://127.0.0.1:8002\n', { path: 'upstream', line: 1, col: 11 });
    expectIssue('breaker:\n  failures: 1.5\n', { path: 'breaker.failures', line: 2, col: 13 });
  });

  test('the document is not a mapping', () => {
    expectIssue('- listen: 0.0.0.0:8003\n', { path: '', line: 1, col: 1 });
  });

  test('bad URL', () => {
    const issue = expectIssue('upstream:\n  url: localhost:8002\n', {
      path: 'upstream.url',
      line: 2,
      col: 8,
    });
    assert.equal(
      issue.message,
      `\`upstream.url\` must be an http(s) URL such as http://127.0.0.1:8002 (got "localhost:8002") at ${TEST_FILE}:2:8`,
    );
    expectIssue('public_url: ftp://x\n', { path: 'public_url', line: 1, col: 13 });
    expectIssue('voice_proxy:\n  upstream: http://127.0.0.1:8000\n', {
      path: 'voice_proxy.upstream',
      line: 2,
      col: 13,
    });
  });

  test('URL with a path or query', () => {
    expectIssue('upstream:\n  url: http://127.0.0.1:8002/xiaozhi/ota/\n', {
      path: 'upstream.url',
      line: 2,
      col: 8,
    });
    expectIssue('upstream:\n  url: http://127.0.0.1:8002/?a=1\n', { path: 'upstream.url', line: 2, col: 8 });
    expectIssue('voice_proxy:\n  upstream: ws://127.0.0.1:8000/xiaozhi/v1/\n', {
      path: 'voice_proxy.upstream',
      line: 2,
      col: 13,
    });
    expectIssue('public_url: https://ota.example.com/ota\n', { path: 'public_url', line: 1, col: 13 });
  });

  test('upstream timeout over 25000', () => {
    expectIssue('upstream:\n  timeout_ms: 25001\n', { path: 'upstream.timeout_ms', line: 2, col: 15 });
  });

  test('headers timeout longer than the request timeout', () => {
    expectIssue('limits:\n  headers_timeout_ms: 40000\n', {
      path: 'limits.headers_timeout_ms',
      line: 2,
      col: 23,
    });
    // Only the request timeout written: the issue points at it.
    expectIssue('limits:\n  request_timeout_ms: 5000\n', {
      path: 'limits.request_timeout_ms',
      line: 2,
      col: 23,
    });
  });

  test('tls half set', () => {
    expectIssue('tls:\n  cert: cert.pem\n', { path: 'tls.cert', line: 2, col: 9 });
    expectIssue('tls:\n  cert: null\n  key: key.pem\n', { path: 'tls.key', line: 3, col: 8 });
  });

  test('numeric version', () => {
    const issue = expectIssue('websocket:\n  when: {version: 1.10}\n  url: ws://a/\n', {
      path: 'websocket.when.version',
      line: 2,
      col: 19,
    });
    assert.match(issue.message, /quotes \("1\.10"\)/);
    expectIssue('mqtt:\n  - when:\n      version: [">=1.0", 2]\n    mode: strip\n', {
      path: 'mqtt[0].when.version[1]',
      line: 3,
      col: 26,
    });
  });

  test('bad version constraint', () => {
    expectIssue('mqtt:\n  when: {version: "~1.2"}\n  mode: strip\n', {
      path: 'mqtt.when.version',
      line: 2,
      col: 19,
    });
  });

  test('an item without `when` that is not last', () => {
    expectIssue('websocket:\n  - url: ws://a/\n  - when: {host: x}\n    url: ws://b/\n', {
      path: 'websocket[0]',
      line: 2,
      col: 5,
    });
    expectIssue('mqtt: [strip, {when: {host: x}, mode: keep}]\n', { path: 'mqtt[0]', line: 1, col: 8 });
    expectIssue('server_time:\n  - when: {}\n    offset_minutes: 0\n  - timezone: UTC\n', {
      path: 'server_time[0]',
      line: 2,
      col: 5,
    });
  });

  test('rewrite rules without `when` may come anywhere', () => {
    assert.doesNotThrow(() =>
      parse(
        'rewrite:\n  - {from: "http://a/", to: "http://{host}/"}\n  - {from: "http://b/", to: "http://c/", when: {host: x}}\n',
      ),
    );
  });

  test('bad CIDR', () => {
    expectIssue('trusted_proxies: [10.0.0.0/33]\n', { path: 'trusted_proxies[0]', line: 1, col: 19 });
    expectIssue('websocket:\n  when:\n    source: [10.0.0.0/8, "fe80::1%eth0"]\n  url: ws://a/\n', {
      path: 'websocket.when.source[1]',
      line: 3,
      col: 26,
    });
  });

  test('bad MAC', () => {
    expectIssue('websocket:\n  when: {devices: aa:bb:cc}\n  url: ws://a/\n', {
      path: 'websocket.when.devices',
      line: 2,
      col: 19,
    });
  });

  test('bad time zone', () => {
    expectIssue('server_time:\n  timezone: Mars/Olympus_Mons\n', {
      path: 'server_time.timezone',
      line: 2,
      col: 13,
    });
  });

  test('server_time with both or neither of timezone and offset_minutes', () => {
    expectIssue('server_time:\n  timezone: UTC\n  offset_minutes: 60\n', {
      path: 'server_time',
      line: 2,
      col: 3,
    });
    expectIssue('server_time:\n  when: {host: x}\n', { path: 'server_time', line: 2, col: 3 });
    expectIssue('server_time:\n  offset_minutes: 900\n', {
      path: 'server_time.offset_minutes',
      line: 2,
      col: 19,
    });
  });

  test('bad template variable', () => {
    expectIssue('websocket:\n  url: ws://{hots}:8000/\n', { path: 'websocket.url', line: 2, col: 8 });
    expectIssue('rewrite:\n  - from: http://a/\n    to: http://{host}:{prot}/\n', {
      path: 'rewrite[0].to',
      line: 3,
      col: 9,
    });
  });

  test('websocket template with an http scheme', () => {
    expectIssue('websocket:\n  url: http://{host}:8000/\n', { path: 'websocket.url', line: 2, col: 8 });
  });

  test('websocket URL whose path holds `:` without a port', () => {
    expectIssue('websocket:\n  url: ws://{host}/a:b/\n', { path: 'websocket.url', line: 2, col: 8 });
  });

  test('websocket token of 4000 bytes or more', () => {
    expectIssue(`websocket:\n  url: ws://a/\n  token: "${'x'.repeat(4000)}"\n`, {
      path: 'websocket.token',
      line: 3,
      col: 10,
    });
  });

  test('bad rewrite prefix', () => {
    expectIssue('rewrite:\n  - from: 172.21.0.5:8003\n    to: http://{host}:8003\n', {
      path: 'rewrite[0].from',
      line: 2,
      col: 11,
    });
  });

  test('unset environment variable', () => {
    expectIssue('upstream:\n  url: ${XZ_UPSTREAM}\n', { path: 'upstream.url', line: 2, col: 8 });
  });

  test('YAML syntax error', () => {
    expectIssue('upstream:\n  url: "http://a\n', { path: '', line: 3, col: 1 });
    expectIssue('listen: 0.0.0.0:8003\n\tfoo: 1\n', { path: '', line: 2, col: 1 });
  });

  test('duplicate key', () => {
    const issue = expectIssue('upstream:\n  url: http://a:1\n  url: http://b:2\n', {
      path: 'upstream.url',
      line: 3,
      col: 3,
    });
    assert.match(issue.message, /line 2/);
  });

  test('empty list', () => {
    expectIssue('websocket: []\n', { path: 'websocket', line: 1, col: 12 });
    expectIssue('websocket:\n  when: {source: []}\n  url: ws://a/\n', {
      path: 'websocket.when.source',
      line: 2,
      col: 18,
    });
  });

  test('bad listen address', () => {
    expectIssue('listen: 8003\n', { path: 'listen', line: 1, col: 9 });
    expectIssue('listen: ":8003"\n', { path: 'listen', line: 1, col: 9 });
    expectIssue('listen: 0.0.0.0:65536\n', { path: 'listen', line: 1, col: 9 });
    expectIssue('listen: "::1:8003"\n', { path: 'listen', line: 1, col: 9 });
    expectIssue('admin:\n  listen: "[::g]:9090"\n', { path: 'admin.listen', line: 2, col: 11 });
  });

  test('bad path', () => {
    expectIssue('ota_path: /xiaozhi/ota/?x=1\n', { path: 'ota_path', line: 1, col: 11 });
    expectIssue('voice_proxy:\n  path: /a/../b/\n', { path: 'voice_proxy.path', line: 2, col: 9 });
  });

  test('bad enumerations', () => {
    expectIssue('mqtt: remove\n', { path: 'mqtt', line: 1, col: 7 });
    expectIssue('firmware:\n  upstream_offers: strip\n', {
      path: 'firmware.upstream_offers',
      line: 2,
      col: 20,
    });
    expectIssue('log:\n  level: verbose\n', { path: 'log.level', line: 2, col: 10 });
    expectIssue('log:\n  pretty: "yes"\n', { path: 'log.pretty', line: 2, col: 11 });
  });

  test('bad admin token', () => {
    expectIssue('admin:\n  token: ""\n', { path: 'admin.token', line: 2, col: 10 });
    expectIssue('admin:\n  token: "two words"\n', { path: 'admin.token', line: 2, col: 10 });
    // Visible ASCII a Bearer credential cannot carry (RFC 6750 §2.1): no client could ever authenticate.
    expectIssue('admin:\n  token: "pa:ss"\n', { path: 'admin.token', line: 2, col: 10 });
    expectIssue('admin:\n  token: "a=b"\n', { path: 'admin.token', line: 2, col: 10 });
    expectIssue('admin:\n  token: "s3cret@home"\n', { path: 'admin.token', line: 2, col: 10 });
  });

  test('out-of-range numbers', () => {
    expectIssue('breaker:\n  failures: 0\n', { path: 'breaker.failures', line: 2, col: 13 });
    expectIssue('fallback:\n  remember_devices: -1\n', {
      path: 'fallback.remember_devices',
      line: 2,
      col: 21,
    });
    expectIssue('shutdown_grace_ms: 9999999999\n', { path: 'shutdown_grace_ms', line: 1, col: 20 });
    expectIssue('limits:\n  device_body_bytes: 0\n', { path: 'limits.device_body_bytes', line: 2, col: 22 });
  });

  test("loop: upstream on the proxy's own listener", () => {
    expectIssue('listen: 0.0.0.0:8003\nupstream:\n  url: http://127.0.0.1:8003\n', {
      path: 'upstream.url',
      line: 3,
      col: 8,
    });
    expectIssue(
      'upstream:\n  url: http://192.168.1.5:8003\n',
      { path: 'upstream.url', line: 2, col: 8 },
      { localAddresses: ['192.168.1.5'] },
    );
    // The default upstream (port 8002) and a listen port of 8002: reported at `listen`.
    expectIssue('listen: 0.0.0.0:8002\n', { path: 'listen', line: 1, col: 9 });
  });

  test("loop: voice upstream or admin listener on the proxy's own listener", () => {
    expectIssue('voice_proxy:\n  upstream: ws://localhost:8003\n', {
      path: 'voice_proxy.upstream',
      line: 2,
      col: 13,
    });
    expectIssue('listen: 127.0.0.1:8003\nadmin:\n  listen: 0.0.0.0:8003\n', {
      path: 'admin.listen',
      line: 3,
      col: 11,
    });
  });

  test('every issue of a file is reported at once, in file order', () => {
    const issues = issuesOf('listen: nope\nupstream:\n  timeout_ms: 0\nfoo: 1\nlog: {level: loud}\n');
    assert.deepEqual(
      issues.map((i) => i.path),
      ['listen', 'upstream.timeout_ms', 'foo', 'log.level'],
    );
  });
});
