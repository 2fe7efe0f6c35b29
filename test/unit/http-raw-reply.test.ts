import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { formatRawReply, writeRawReply } from '../../src/http/raw-reply.js';

// The bytes devices see when an upgrade fails: only status, Content-Type (with a body),
// Content-Length spelled so, Date and Connection: close (docs/configuration.md "Framing and paths").
const date = new Date('2025-03-01T08:09:10Z');

describe('formatRawReply', () => {
  test('a 502 with a text body, byte for byte', () => {
    const bytes = formatRawReply(502, { body: 'voice upstream unreachable\n', date });
    assert.equal(
      bytes.toString('latin1'),
      'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n' +
        'Date: Sat, 01 Mar 2025 08:09:10 GMT\r\nConnection: close\r\n\r\nvoice upstream unreachable\n',
    );
  });

  test('no body: no Content-Type, Content-Length 0', () => {
    assert.equal(
      formatRawReply(503, { date }).toString('latin1'),
      'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nDate: Sat, 01 Mar 2025 08:09:10 GMT\r\nConnection: close\r\n\r\n',
    );
    assert.ok(
      !formatRawReply(404, { contentType: 'application/json', body: '', date }).includes('Content-Type'),
    );
  });

  test('Content-Length counts bytes, not characters', () => {
    const bytes = formatRawReply(401, {
      contentType: 'application/json; charset=utf-8',
      body: '{"msg":"未授权"}',
      date,
    });
    const text = bytes.toString('utf8');
    assert.match(text, /\r\nContent-Type: application\/json; charset=utf-8\r\n/);
    assert.match(text, new RegExp(`\\r\\nContent-Length: ${Buffer.byteLength('{"msg":"未授权"}')}\\r\\n`));
    assert.ok(text.endsWith('\r\n\r\n{"msg":"未授权"}'));
  });

  test('a binary body passes as is', () => {
    const body = new Uint8Array([0, 1, 2, 255]);
    const bytes = formatRawReply(500, { contentType: 'application/octet-stream', body, date });
    assert.deepEqual(bytes.subarray(bytes.length - 4), Buffer.from(body));
  });

  test('an upstream Content-Type cannot inject header lines', () => {
    const text = formatRawReply(401, {
      contentType: 'text/html\r\nSet-Cookie: a=b',
      body: 'x',
      date,
    }).toString('latin1');
    assert.ok(text.includes('Content-Type: text/htmlSet-Cookie: a=b\r\n'));
    assert.equal(text.split('\r\n').filter((line) => line.startsWith('Set-Cookie')).length, 0);
    assert.match(
      formatRawReply(401, { contentType: '\u0001', body: 'x', date }).toString('latin1'),
      /\r\nContent-Type: text\/plain\r\n/,
    );
  });

  test('an unknown status keeps its code', () => {
    assert.equal(
      formatRawReply(599, { date }).toString('latin1'),
      'HTTP/1.1 599 Unknown\r\nContent-Length: 0\r\nDate: Sat, 01 Mar 2025 08:09:10 GMT\r\nConnection: close\r\n\r\n',
    );
  });
});

describe('writeRawReply', () => {
  test('writes the reply and ends the socket', async () => {
    const socket = new PassThrough();
    assert.equal(writeRawReply(socket, 504, { body: 'late\n', date }), true);
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(chunks), formatRawReply(504, { body: 'late\n', date }));
  });

  test('does nothing on a socket that can no longer be written', () => {
    const socket = new PassThrough();
    socket.destroy();
    assert.equal(writeRawReply(socket, 502), false);
  });
});
