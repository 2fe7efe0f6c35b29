/** doctor's raw response reader: framing as the bytes show it (casing, chunked, Content-Length, completeness). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHttpResponse } from '../../src/doctor/http-message.js';
import { readCapture } from '../helpers/captures.js';

describe('reading a raw HTTP response', () => {
  test('a Content-Length reply is complete once its body arrived, names as spelled', () => {
    const parsed = parseHttpResponse(readCapture('python-default-post', 'response').raw, { ended: false });
    assert.equal(parsed.state, 'complete');
    if (parsed.state !== 'complete') return;
    assert.equal(parsed.response.status, 200);
    assert.equal(parsed.response.chunked, false);
    assert.equal(parsed.response.body.length, 171);
    assert.ok(parsed.response.headers.some(([n]) => n === 'Content-Length'));
  });

  test('the Java chunked reply is decoded and marked chunked', () => {
    const parsed = parseHttpResponse(readCapture('java-no-trailing-slash', 'response').raw, { ended: false });
    assert.equal(parsed.state, 'complete');
    if (parsed.state !== 'complete') return;
    assert.equal(parsed.response.chunked, true);
    assert.equal(parsed.response.body.toString('utf8'), '{"code":404,"msg":"资源不存在","data":null}');
  });

  test('a short body waits, then counts as incomplete when the peer closes', () => {
    const raw = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    assert.equal(parseHttpResponse(raw, { ended: false }).state, 'incomplete');
    const ended = parseHttpResponse(raw, { ended: true });
    assert.equal(ended.state, 'complete');
    if (ended.state === 'complete') assert.equal(ended.response.complete, false);
  });

  test('an unframed body runs to the close', () => {
    const raw = Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello');
    assert.equal(parseHttpResponse(raw, { ended: false }).state, 'incomplete');
    const ended = parseHttpResponse(raw, { ended: true });
    assert.ok(
      ended.state === 'complete' && ended.response.body.toString() === 'hello' && ended.response.complete,
    );
  });

  test('garbage is invalid, a silent close too', () => {
    assert.equal(parseHttpResponse(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'), { ended: true }).state, 'invalid');
    assert.equal(parseHttpResponse(Buffer.alloc(0), { ended: true }).state, 'invalid');
  });
});
