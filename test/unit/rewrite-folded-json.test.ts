import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { upstreamBodyText } from '../helpers/hostile-json.js';
import { CAPTURES_DIR } from '../helpers/captures.js';
import { upstreamText as captureBody } from '../helpers/upstream-replies.js';
import {
  classifyUpstreamBody,
  foldBody,
  foldKey,
  MAX_VALUES,
  parseFirstWins,
  parseJson,
} from '../../src/rewrite/folded-json.js';
import type { JsonObject } from '../../src/rewrite/types.js';

function sections(text: string): JsonObject {
  const result = classifyUpstreamBody(text);
  assert.equal(result.kind, 'sections', JSON.stringify(result));
  return result.kind === 'sections' ? result.body : {};
}

function reason(text: string): string {
  const result = classifyUpstreamBody(text);
  assert.equal(result.kind, 'invalid', `${JSON.stringify(text.slice(0, 40))} should be invalid`);
  return result.kind === 'invalid' ? result.reason : '';
}

describe('the real upstream replies', () => {
  const cases = readdirSync(CAPTURES_DIR)
    .filter((f) => f.endsWith('.json') && !f.endsWith('-index.json'))
    .map((f) => f.slice(0, -'.json'.length));

  test('every capture with a reply body is read below (none silently missing)', () => {
    assert.deepEqual([...cases].sort(), [
      'java-bound-no-firmware',
      'java-bound-with-firmware',
      'java-error-blank-device-id',
      'java-error-invalid-device-id',
      'java-error-missing-device-id',
      'java-mqtt-and-websocket',
      'java-no-trailing-slash',
      'java-unbound-device',
      'python-auth-token',
      'python-configured-ws-wss',
      'python-default-post',
      'python-firmware-available',
      'python-mqtt-gateway',
      'python-no-client-id',
      'python-no-device-id',
      'python-non-json-body',
      'python-timezone-fraction',
    ]);
  });

  for (const name of cases) {
    test(`${name}: read as JSON.parse reads it (it has no duplicates)`, () => {
      const text = captureBody(name);
      const result = classifyUpstreamBody(text);
      assert.ok(result.kind === 'sections' || result.kind === 'other-object', result.kind);
      assert.deepEqual(result.body, JSON.parse(text));
    });
  }

  test('OTA replies are `sections`, the error shapes `other-object`', () => {
    for (const name of [
      'python-default-post',
      'python-mqtt-gateway',
      'java-unbound-device',
      'java-bound-no-firmware',
    ]) {
      assert.equal(classifyUpstreamBody(captureBody(name)).kind, 'sections', name);
    }
    for (const name of [
      'python-no-device-id',
      'java-error-blank-device-id',
      'java-error-missing-device-id',
      'java-no-trailing-slash',
    ]) {
      assert.equal(classifyUpstreamBody(captureBody(name)).kind, 'other-object', name);
    }
  });

  test('a JSON value that is not an object is `not-object`', () => {
    for (const text of ['[]', '"ok"', '42', 'null', 'true', '[{"websocket":{}}]']) {
      assert.equal(classifyUpstreamBody(text).kind, 'not-object', text);
    }
  });
});

describe('first match wins, keys compared case-insensitively (docs/device-contract.md §3)', () => {
  test('a second "MQTT" after "mqtt" is dropped, and so is its content', () => {
    const body = sections(
      '{"websocket":{"url":"ws://a/"},"mqtt":{"endpoint":"a:1883"},"MQTT":{"endpoint":"b:x"}}',
    );
    assert.deepEqual(body, { websocket: { url: 'ws://a/' }, mqtt: { endpoint: 'a:1883' } });
  });

  test('the first occurrence is kept even when a later one is spelled canonically', () => {
    const body = sections(
      '{"WebSocket":{"URL":"ws://first/","url":"ws://second/"},"websocket":{"url":"ws://third/"}}',
    );
    assert.deepEqual(body, { websocket: { url: 'ws://first/' } });
  });

  test('exact duplicates: the first wins (JSON.parse would keep the last)', () => {
    const text = '{"firmware":{"version":"1.0.0","url":"","version":"9.9.9"}}';
    assert.deepEqual(sections(text), { firmware: { version: '1.0.0', url: '' } });
    assert.equal((JSON.parse(text) as { firmware: { version: string } }).firmware.version, '9.9.9');
  });

  test('folding applies at every level, also inside arrays and unknown keys', () => {
    const body = sections(
      '{"server_time":{},"extra":{"A":1,"a":2,"list":[{"k":1,"K":2},{"x":{"y":1,"Y":2}}]}}',
    );
    assert.deepEqual(body.extra, { A: 1, list: [{ k: 1 }, { x: { y: 1 } }] });
  });

  test('case-variants of sections and known members get the canonical spelling; other keys keep theirs', () => {
    const body = sections(
      '{"Server_Time":{"TimeStamp":1,"TIMEZONE_OFFSET":2,"TIMEZONE":"x","Extra":3},' +
        '"WEBSOCKET":{"Url":"ws://a/","Token":"t","Version":3,"Custom":1},' +
        '"Mqtt":{"EndPoint":"h:1","Client_ID":"c","KeepAlive":60},' +
        '"FIRMWARE":{"Version":"1.0.0","URL":"","Force":1},' +
        '"Activation":{"Code":"1","Message":"m","Challenge":"c","Timeout_MS":5},"Other":{"Url":1}}',
    );
    assert.deepEqual(Object.keys(body), [
      'server_time',
      'websocket',
      'mqtt',
      'firmware',
      'activation',
      'Other',
    ]);
    assert.deepEqual(Object.keys(body.server_time as JsonObject), [
      'timestamp',
      'timezone_offset',
      'timeZone',
      'Extra',
    ]);
    assert.deepEqual(Object.keys(body.websocket as JsonObject), ['url', 'token', 'version', 'Custom']);
    assert.deepEqual(Object.keys(body.mqtt as JsonObject), ['endpoint', 'client_id', 'keepalive']);
    assert.deepEqual(Object.keys(body.firmware as JsonObject), ['version', 'url', 'force']);
    assert.deepEqual(Object.keys(body.activation as JsonObject), [
      'code',
      'message',
      'challenge',
      'timeout_ms',
    ]);
    assert.deepEqual(body.Other, { Url: 1 });
  });

  test('folding is ASCII-only, as C tolower: the Kelvin sign is not a K', () => {
    assert.equal(foldKey('\u212Aeepalive'), '\u212Aeepalive');
    assert.equal(foldKey('KEEPALIVE'), 'keepalive');
    const body = sections('{"mqtt":{"endpoint":"h","keepalive":1,"\u212Aeepalive":2}}');
    assert.deepEqual(Object.keys(body.mqtt as JsonObject), ['endpoint', 'keepalive', '\u212Aeepalive']);
  });

  test('a key is compared up to its first NUL, where the C string ends', () => {
    assert.equal(foldKey('mqtt\u0000junk'), 'mqtt');
    const body = sections(
      '{"websocket":{"url":"ws://a/"},"mqtt\\u0000x":{"endpoint":"h:1"},"mqtt":{"endpoint":"late:1"}}',
    );
    assert.deepEqual(body.mqtt, { endpoint: 'h:1' });
    assert.equal(Object.keys(body).length, 2);
  });

  test('foldBody is idempotent and equals the parse-time fold', () => {
    const text = '{"WebSocket":{"URL":"ws://a/","url":"ws://b/"},"x":[{"a":1,"A":2}]}';
    const once = sections(text);
    assert.deepEqual(foldBody(once), once);
    assert.deepEqual(foldBody({ WebSocket: { URL: 'ws://a/' }, websocket: { url: 'ws://b/' } }), {
      websocket: { url: 'ws://a/' },
    });
  });
});

describe('strict RFC 8259', () => {
  test('trailing bytes after the value make the reply invalid (fallback is the safe answer)', () => {
    reason('{"websocket":{}} x');
    reason('{"websocket":{}}{"mqtt":{}}');
    reason('{"websocket":{}}\u0000');
    assert.equal(classifyUpstreamBody('  {"websocket":{}}  \r\n').kind, 'sections');
  });

  test('truncated and malformed bodies are invalid', () => {
    const bad = [
      '',
      '   ',
      '{"websocket":{"url":"ws://a/"}',
      '{"websocket":',
      "{'websocket':{}}",
      '{websocket:{}}',
      '{"a":1,}',
      '[1,]',
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":tru}',
      '{"a":"\t"}',
      '{"a":"\\x"}',
      '{"a":"\\u12g4"}',
      '{"a":"unterminated}',
      '{"a" 1}',
      '{"a":1 "b":2}',
      '{"a":1e400}',
    ];
    for (const text of bad) reason(text);
  });

  test('escapes, unicode and numbers decode as JSON.parse decodes them', () => {
    const text =
      '{"firmware":{"s":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00😀","n":[-0,0.5,1e3,-2.5E-2,12345678901234567890]}}';
    assert.deepEqual(sections(text), JSON.parse(text));
  });

  test('unpaired surrogates are invalid: cJSON rejects them, the device could not read the reply', () => {
    reason('{"websocket":{"token":"\\ud800"}}');
    reason('{"websocket":{"token":"\\udc00x"}}');
    reason('{"websocket":{"token":"\\ud800\\u0041"}}');
    reason('{"websocket":{"token":"\ud800"}}');
  });

  test('nesting deeper than 64 is invalid; 64 levels are fine', () => {
    const deep = (n: number) => `{"server_time":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    assert.equal(classifyUpstreamBody(deep(64)).kind, 'sections');
    reason(deep(65));
    // Far deeper input fails cleanly instead of overflowing the stack.
    reason('['.repeat(100_000));
  });

  test('more values than any device reply could hold are refused; as many are read', () => {
    const array = (n: number) => `{"server_time":{},"a":[${Array.from({ length: n }, () => '0').join(',')}]}`;
    // The object, server_time, a, and n items.
    assert.equal(classifyUpstreamBody(array(MAX_VALUES - 3)).kind, 'sections');
    assert.match(reason(array(MAX_VALUES - 2)), /more than 2048 values/);
    const members = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
    assert.equal(classifyUpstreamBody(members(MAX_VALUES - 1)).kind, 'other-object');
    reason(members(MAX_VALUES));
    // Duplicates count: they are parsed before they are dropped.
    reason(`{${Array.from({ length: MAX_VALUES }, () => '"MQTT":{}').join(',')}}`);
  });

  test('strings: found and decoded natively, checked as before', () => {
    const long = 'x'.repeat(1024 * 1024);
    assert.deepEqual(sections(`{"websocket":{"token":"${long}"}}`).websocket, { token: long });
    const escapes = '\\u00e9\\"\\\\'.repeat(1000);
    assert.deepEqual(
      sections(`{"websocket":{"token":"${escapes}"}}`),
      JSON.parse(`{"websocket":{"token":"${escapes}"}}`),
    );
    // An escaped quote or a run of backslashes before the closing one.
    assert.deepEqual(sections('{"websocket":{"a":"\\\\","b":"\\"x\\\\\\""}}').websocket, {
      a: '\\',
      b: '"x\\"',
    });
    reason('{"websocket":{"a":"x\\"}}');
    reason('{"websocket":{"a":"\u0001"}}');
    reason('{"websocket":{"a":"\u007f\u0000"}}');
    assert.deepEqual(sections('{"websocket":{"a":"\u007f"}}').websocket, { a: '\u007f' });
  });

  test('a leading byte order mark is tolerated', () => {
    assert.equal(classifyUpstreamBody('\ufeff{"websocket":{}}').kind, 'sections');
  });

  test('parseJson reports the offset of the problem', () => {
    const result = parseJson('{"a":1,"b":x}');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /offset 11/);
  });
});

describe('no prototype pollution', () => {
  test('"__proto__" stays an own member and never changes the prototype', () => {
    const body = sections(
      '{"websocket":{"url":"ws://a/","__proto__":{"polluted":true}},"__proto__":{"x":1}}',
    );
    assert.equal(Object.getPrototypeOf(body), Object.prototype);
    assert.ok(Object.hasOwn(body, '__proto__'));
    const ws = body.websocket as JsonObject;
    assert.equal(Object.getPrototypeOf(ws), Object.prototype);
    assert.ok(Object.hasOwn(ws, '__proto__'));
    assert.equal((ws as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal(
      JSON.stringify(body),
      '{"websocket":{"url":"ws://a/","__proto__":{"polluted":true}},"__proto__":{"x":1}}',
    );
  });

  test('"constructor" and "toString" are ordinary members', () => {
    const result = classifyUpstreamBody('{"constructor":1,"toString":"x"}');
    assert.equal(result.kind, 'other-object');
    assert.deepEqual(result.kind === 'other-object' ? { ...result.body } : null, {
      constructor: 1,
      toString: 'x',
    });
  });

  test('inherited names are never taken for sections', () => {
    assert.equal(classifyUpstreamBody('{"hasOwnProperty":1}').kind, 'other-object');
  });
});

describe('the native fast path of parseJson', () => {
  /** Texts where JSON.parse and the first-wins parser part ways, each next to one where they do not. */
  const tricky: fc.Arbitrary<string> = fc.oneof(
    fc.constantFrom(
      '{"a":1,"a":2}',
      '{"mqtt":{},"MQTT":{"endpoint":"x"}}',
      '{"websocket":{"url":"ws://a/","URL":"ws://b/"}}',
      '{"k\\u0000x":1,"k":2}',
      '{"a":"\\ud800"}',
      '{"a":"\\ud83d\\ude00"}',
      '{"a":"\\\\ud800"}',
      '{"a":1e400}',
      '{"a":-0}',
      '{"__proto__":{"x":1},"__proto__":2}',
      '{"2":1,"1":2,"b":3}',
      '{"a:b":"c:d","e":"\\":"}',
      `${'['.repeat(64)}${']'.repeat(64)}`,
      `${'['.repeat(65)}${']'.repeat(65)}`,
      `[${Array.from({ length: MAX_VALUES - 1 }, () => '0').join(',')}]`,
      `[${Array.from({ length: MAX_VALUES }, () => '0').join(',')}]`,
    ),
    fc
      .tuple(fc.jsonValue(), fc.constantFrom('', 'a', 'A', 'mqtt', 'MQTT', 'Mqtt'))
      .map(([value, key]) => `{${JSON.stringify(key)}:${JSON.stringify(value)},"mqtt":1,"a":2}`),
  );

  test('gives exactly what the first-wins parser gives: value, key order, -0, and every refusal', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          upstreamBodyText,
          tricky,
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const fast = parseJson(text);
          const full = parseFirstWins(text);
          assert.deepStrictEqual(fast, full);
          // deepStrictEqual does not compare key order, which the reply keeps.
          if (fast.ok && full.ok) assert.equal(JSON.stringify(fast.value), JSON.stringify(full.value));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
