import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseConfig } from '../../src/config/parse.js';

const shippedPath = fileURLToPath(new URL('../../config/proxy.yaml', import.meta.url));
const shipped = readFileSync(shippedPath, 'utf8');

test('the shipped config/proxy.yaml loads without any environment variable', () => {
  const config = parseConfig(shipped, {
    file: shippedPath,
    displayFile: 'config/proxy.yaml',
    env: {},
    localAddresses: [],
  });
  assert.deepEqual(config.listen, { host: '0.0.0.0', port: 8003 });
  assert.equal(config.upstream.target.href, 'http://127.0.0.1:8002');
  assert.equal(config.upstream.timeoutMs, 8000);
  assert.equal(config.otaPath, '/xiaozhi/ota/');
  assert.equal(config.websocket?.length, 1);
  assert.equal(config.websocket?.[0]?.url.source, 'ws://{host}:8000/xiaozhi/v1/');
  assert.deepEqual(config.websocket?.[0]?.when, {});
  assert.equal(config.websocket?.[0]?.token, null);
  assert.equal(config.firmware.dir, join(dirname(dirname(shippedPath)), 'firmware'));
  assert.equal(config.voiceProxy.upstream, null);
  assert.equal(config.admin.token, null);
  assert.deepEqual(config.mqtt, [{ when: {}, mode: 'keep' }]);
  assert.deepEqual(config.serverTime, [{ when: {}, zone: { kind: 'upstream' } }]);
  assert.equal(config.fleet.enabled, true);
  assert.deepEqual(config.fleet.store, {
    kind: 'sqlite',
    path: join(dirname(dirname(shippedPath)), 'data', 'fleet.db'),
  });
});

test('the shipped config takes UPSTREAM_URL, VOICE_UPSTREAM and ADMIN_TOKEN from the environment', () => {
  const config = parseConfig(shipped, {
    file: shippedPath,
    env: {
      UPSTREAM_URL: 'http://xiaozhi-esp32-server:8003',
      VOICE_UPSTREAM: 'ws://xiaozhi-esp32-server:8000',
      ADMIN_TOKEN: 's3cret',
    },
    localAddresses: [],
  });
  assert.equal(config.upstream.target.href, 'http://xiaozhi-esp32-server:8003');
  assert.equal(config.voiceProxy.upstream?.href, 'ws://xiaozhi-esp32-server:8000');
  assert.equal(config.admin.token, 's3cret');
});

/** The commented examples `# <key>: …` with their indented `#   …` lines, uncommented. */
function examples(text: string, key: string): string[] {
  const lines = text.split('\n');
  const blocks: string[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith(`# ${key}:`)) return;
    const block = [line.slice(2)];
    for (let j = i + 1; lines[j]?.startsWith('#   ') === true; j++) block.push((lines[j] ?? '').slice(2));
    blocks.push(block.join('\n'));
  });
  return blocks;
}

/** `text` with the live `<key>:` block (and its indented lines) replaced. */
function replaceKey(text: string, key: string, replacement: string): string {
  const replaced = text.replace(new RegExp(`^${key}:.*\\n(?:  .*\\n)*`, 'm'), `${replacement}\n`);
  assert.notEqual(replaced, text, key);
  return replaced;
}

test("the shipped config's commented examples are valid when switched on", () => {
  const rewriteLines = shipped
    .split('\n')
    .filter(
      (line) => /^# {3}(?:-| ) ?\w+:/.test(line) && shipped.indexOf(line) < shipped.indexOf('\nwebsocket:'),
    );
  assert.equal(rewriteLines.length, 5);
  const variants = [
    replaceKey(shipped, 'rewrite', `rewrite:\n${rewriteLines.map((l) => l.slice(1)).join('\n')}`),
  ];
  for (const key of ['websocket', 'mqtt', 'server_time']) {
    for (const example of examples(shipped, key)) variants.push(replaceKey(shipped, key, example));
  }
  assert.equal(variants.length, 5);
  for (const text of variants) {
    assert.doesNotThrow(() => parseConfig(text, { file: shippedPath, env: {}, localAddresses: [] }), text);
  }
  const [rewrite, websocket, mqttStrip, mqttList, serverTime] = variants.map((text) =>
    parseConfig(text, { file: shippedPath, env: {}, localAddresses: [] }),
  );
  assert.equal(rewrite?.rewrite.length, 2);
  assert.equal(websocket?.websocket?.length, 3);
  assert.deepEqual(mqttStrip?.mqtt, [{ when: {}, mode: 'strip' }]);
  assert.equal(mqttList?.mqtt[0]?.mode, 'strip');
  assert.deepEqual(serverTime?.serverTime[1]?.zone, { kind: 'zone', name: 'Europe/Berlin' });
});
