import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCapture } from '../helpers/captures.js';
import { rewriteGetText } from '../../src/rewrite/get-text.js';
import {
  rewriteRule,
  testConfig,
  testContext,
  testRequest,
  websocketItem,
} from '../helpers/config-fixture.js';

const PYTHON = readCapture('python-get', 'response').body.toString('utf8');
const JAVA = readCapture('java-get', 'response').body.toString('utf8');

test('no rules: the text is returned as sent', () => {
  assert.equal(rewriteGetText(PYTHON, testContext()), PYTHON);
});

test('python-get: the websocket address is replaced by the matching websocket item; "OTA" stays', () => {
  const ctx = testContext({
    config: testConfig({ websocket: [websocketItem('ws://{host}:8000/xiaozhi/v1/')] }),
  });
  const out = rewriteGetText(PYTHON, ctx);
  assert.equal(out, 'OTA接口运行正常，向设备发送的websocket地址是：ws://192.168.1.10:8000/xiaozhi/v1/');
});

test('python-get: rewrite prefix rules apply to URLs in the text, with the ws flavour for ws URLs', () => {
  const request = testRequest({ origin: { scheme: 'https', host: 'xz.example.com', port: 443 } });
  const ctx = testContext({
    request,
    config: testConfig({ rewrite: [rewriteRule('ws://172.21.0.5:8000/', '{scheme}://{host}/')] }),
  });
  assert.equal(
    rewriteGetText(PYTHON, ctx),
    'OTA接口运行正常，向设备发送的websocket地址是：wss://xz.example.com/xiaozhi/v1/',
  );
});

test('a websocket item that does not match leaves the address to the rewrite rules', () => {
  const config = testConfig({ websocket: [websocketItem('ws://lan/', { source: ['10.0.0.0/8'] })] });
  assert.equal(rewriteGetText(PYTHON, testContext({ config })), PYTHON);
});

test('java-get has no URL: unchanged', () => {
  const config = testConfig({
    websocket: [websocketItem('ws://{host}:8000/xiaozhi/v1/')],
    rewrite: [rewriteRule('http://', 'https://')],
  });
  assert.equal(rewriteGetText(JAVA, testContext({ config })), JAVA);
});

test('every URL in the text is rewritten; http URLs get the http flavour; sentence punctuation stays', () => {
  const request = testRequest({ origin: { scheme: 'https', host: 'xz.example.com', port: 443 } });
  const config = testConfig({ rewrite: [rewriteRule('http://172.21.0.5:8003/', '{scheme}://{host}/')] });
  const text =
    'OTA ok. Firmware: http://172.21.0.5:8003/a.bin, http://172.21.0.5:8003/b.bin. Other: http://elsewhere/x';
  assert.equal(
    rewriteGetText(text, testContext({ request, config })),
    'OTA ok. Firmware: https://xz.example.com/a.bin, https://xz.example.com/b.bin. Other: http://elsewhere/x',
  );
  const ws = testConfig({ websocket: [websocketItem('wss://{host}/v1/')] });
  assert.equal(
    rewriteGetText('OTA: ws://172.21.0.5:8000/xiaozhi/v1/.', testContext({ request, config: ws })),
    'OTA: wss://xz.example.com/v1/.',
  );
});
