/**
 * Redaction reads keys as the device does and cannot be bypassed: JSON escapes, case, a NUL, a number or an
 * object under a secret key, URL queries and user info, bodies cut short or not JSON at all, JSON quoted in
 * a string — and no nesting depth makes it throw or take more than linear time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSecretName, redactJson, redactSecrets, redactUrl } from '../../src/gateway/redact.js';

describe('redaction', () => {
  test('secret names are read as the device reads keys', () => {
    for (const name of [
      'token',
      'TOKEN',
      'Password',
      'token\u0000x',
      'access_token',
      'accessToken',
      'x-api-key',
      'client_secret',
      'Authorization',
      'passwd',
      'X-Amz-Signature',
    ])
      assert.equal(isSecretName(name), true, name);
    for (const name of ['url', 'version', 'keepalive', 'client_id', 'username', 'monkey', 'timestamp', ''])
      assert.equal(isSecretName(name), false, name);
  });

  test('escaped keys, a NUL, numbers and objects under secret keys; empty values stay visible', () => {
    assert.equal(
      redactSecrets(
        '{"tok\\u0065n":"S1","pass\\u0077ord":"S2","TOKEN\\u0000x":{"a":"S3"},"token":42,"x":{"token":""}}',
      ),
      '{"tok\\u0065n":"[redacted]","pass\\u0077ord":"[redacted]","TOKEN\\u0000x":"[redacted]","token":"[redacted]","x":{"token":""}}',
    );
    assert.equal(
      redactSecrets('{"token" : [1, {"a": "S4"}] , "password": null, "k": 330.0}'),
      '{"token" : "[redacted]" , "password": null, "k": 330.0}',
    );
  });

  test('URLs in strings: secret query parameters and user info', () => {
    assert.equal(
      redactSecrets('{"url":"ws://u:S5@h:8000/x/?Token=S6&v=1#access_token=S7"}'),
      '{"url":"ws://u:[redacted]@h:8000/x/?Token=[redacted]&v=1#access_token=[redacted]"}',
    );
    assert.equal(
      redactUrl('/xiaozhi/ota/?t%6Fken=S8&a=1&secret='),
      '/xiaozhi/ota/?t%6Fken=[redacted]&a=1&secret=',
    );
    assert.equal(redactUrl('/xiaozhi/ota/'), '/xiaozhi/ota/');
  });

  test('a body cut inside a secret hides what is left of it', () => {
    assert.equal(redactSecrets('{"websocket":{"token":"S9abc'), '{"websocket":{"token":"[redacted]"');
    assert.equal(redactSecrets('{"token":{"a":["S10'), '{"token":"[redacted]"');
    assert.equal(redactSecrets('{"url":"ws://h/?token=S11'), '{"url":"ws://h/?token=[redacted]"');
  });

  test('JSON quoted in a string is redacted as JSON', () => {
    assert.equal(
      redactSecrets('{"msg":"{\\"token\\":\\"S12\\"}"}'),
      '{"msg":"{\\"token\\":\\"[redacted]\\"}"}',
    );
  });

  test('text that is not JSON: name: value and name=value pairs, quoted or not', () => {
    assert.equal(
      redactSecrets(
        "token=S13&x=1 Authorization: Bearer S14 {'password': 'S15'} see https://h/?api_key=S16 ok",
      ),
      "token=[redacted]&x=1 Authorization: Bearer [redacted] {'password': '[redacted]'} see https://h/?api_key=[redacted] ok",
    );
    assert.equal(redactSecrets('mqtt password: S17\nuser: x'), 'mqtt password: [redacted]\nuser: x');
    assert.equal(redactSecrets('404: Not Found'), '404: Not Found');
  });

  test('parsed values: any depth, any type, URLs in strings', () => {
    assert.deepEqual(
      redactJson({ a: [{ Token: 5 }], u: 'ws://h/?token=S18', password: '', p: { secret: { x: 1 } } }),
      {
        a: [{ Token: '[redacted]' }],
        u: 'ws://h/?token=[redacted]',
        password: '',
        p: { secret: '[redacted]' },
      },
    );
  });

  test('never the secret, whatever JSON it hides in', () => {
    const secret = 'S3CRETVALUE';
    const keyName = fc.constantFrom('token', 'Token', 'PASSWORD', 'api_key', 'clientSecret');
    const escaped = (key: string): string =>
      [...key]
        .map((c, i) => (i % 2 === 0 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c))
        .join('');
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        keyName,
        fc.boolean(),
        fc.constantFrom('string', 'number-like', 'object', 'url'),
        (host, key, escape, shape) => {
          const value =
            shape === 'string'
              ? `"${secret}"`
              : shape === 'number-like'
                ? '12345678987654321'
                : shape === 'object'
                  ? `{"inner":["${secret}"]}`
                  : `"ws://h/?${key}=${secret}"`;
          const member = shape === 'url' ? `"url":${value}` : `"${escape ? escaped(key) : key}":${value}`;
          const text = `{"wrap":${JSON.stringify(host)},${member}}`;
          const out = redactSecrets(text);
          assert.equal(out.includes(secret), false, out);
          assert.equal(out.includes('12345678987654321'), false, out);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('deep nesting neither throws nor takes more than linear time', () => {
    for (const text of [
      `{"token":${'['.repeat(200_000)}`,
      `${'{"a":'.repeat(100_000)}"x"${'}'.repeat(100_000)}`,
      '"'.repeat(200_000),
      'a'.repeat(500_000),
      'a.'.repeat(250_000),
      `${'\\u0041'.repeat(50_000)}=`,
    ]) {
      const started = performance.now();
      const out = redactSecrets(text);
      assert.equal(typeof out, 'string');
      // Linear work is a few ms here; a quadratic pass would take minutes.
      assert.ok(performance.now() - started < 5_000, `${text.slice(0, 20)}…`);
    }
    const deep: unknown[] = [];
    let cursor = deep;
    for (let i = 0; i < 100_000; i++) {
      const next: unknown[] = [];
      cursor.push(next);
      cursor = next;
    }
    assert.equal(typeof redactJson(deep as never), 'object');
  });
});
