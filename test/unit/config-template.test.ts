import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Origin, Template } from '../../src/config/types.js';
import { parseTemplate, renderTemplate } from '../../src/config/template.js';

function parse(text: string): Template {
  const t = parseTemplate(text);
  return typeof t === 'string' ? assert.fail(t) : t;
}

const plain: Origin = { scheme: 'http', host: 'ota.example.com', port: 8003 };
const secure: Origin = { scheme: 'https', host: 'ota.example.com', port: 443 };
const v6: Origin = { scheme: 'http', host: '[2001:db8::5]', port: 8003 };

describe('parseTemplate', () => {
  test('splits text and variables, keeps the source', () => {
    const t = parse('{scheme}://{host}:{port}/x');
    assert.equal(t.source, '{scheme}://{host}:{port}/x');
    assert.deepEqual(t.parts, [
      { kind: 'var', name: 'scheme' },
      { kind: 'text', text: '://' },
      { kind: 'var', name: 'host' },
      { kind: 'text', text: ':' },
      { kind: 'var', name: 'port' },
      { kind: 'text', text: '/x' },
    ]);
  });
  test('text without variables is one part', () => {
    assert.deepEqual(parse('ws://10.0.0.5:8000/xiaozhi/v1/').parts, [
      { kind: 'text', text: 'ws://10.0.0.5:8000/xiaozhi/v1/' },
    ]);
  });
  for (const bad of [
    'ws://{hots}/',
    'ws://{Host}/',
    'ws://{host/',
    'ws://host}/',
    'ws://{}/',
    'ws://{{host}}/',
    'ws://{ho{st}/',
    '{port',
  ]) {
    test(`refuses ${bad}`, () => assert.equal(typeof parseTemplate(bad), 'string'));
  }
});

describe('renderTemplate', () => {
  const t = parse('{scheme}://{host}:{port}/p');
  test('{scheme} is http/https outside websocket URLs', () => {
    assert.equal(renderTemplate(t, plain, 'http'), 'http://ota.example.com:8003/p');
    assert.equal(renderTemplate(t, secure, 'http'), 'https://ota.example.com:443/p');
  });
  test('{scheme} is ws/wss inside websocket URLs', () => {
    assert.equal(renderTemplate(t, plain, 'ws'), 'ws://ota.example.com:8003/p');
    assert.equal(renderTemplate(t, secure, 'ws'), 'wss://ota.example.com:443/p');
  });
  test('{host} carries no port and IPv6 stays bracketed', () => {
    assert.equal(renderTemplate(parse('ws://{host}:8000/'), v6, 'ws'), 'ws://[2001:db8::5]:8000/');
    assert.equal(
      renderTemplate(parse('ws://{host}:8000/'), { ...v6, host: '2001:db8::5' }, 'ws'),
      'ws://[2001:db8::5]:8000/',
    );
  });
});
