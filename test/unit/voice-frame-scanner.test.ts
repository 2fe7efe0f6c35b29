import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FrameScanner } from '../../src/voice/frame-scanner.js';

/** One WebSocket frame on the wire (RFC 6455 §5.2), masked as a client sends it when `mask` is given. */
function frame(opcode: number, payload: Buffer, mask?: Buffer): Buffer {
  const length = payload.length;
  const extended = length < 126 ? Buffer.alloc(0) : length < 0x10000 ? Buffer.alloc(2) : Buffer.alloc(8);
  if (extended.length === 2) extended.writeUInt16BE(length);
  if (extended.length === 8) extended.writeBigUInt64BE(BigInt(length));
  const len7 = length < 126 ? length : length < 0x10000 ? 126 : 127;
  const head = Buffer.from([0x80 | opcode, (mask ? 0x80 : 0) | len7]);
  const body = mask ? Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0))) : payload;
  return Buffer.concat([head, extended, mask ?? Buffer.alloc(0), body]);
}

function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code);
  payload.write(reason, 2);
  return payload;
}

function scan(chunks: Buffer[]): FrameScanner {
  const scanner = new FrameScanner();
  for (const chunk of chunks) scanner.push(chunk);
  return scanner;
}

describe('FrameScanner', () => {
  test('finds the code of an unmasked close frame after data frames', () => {
    const stream = Buffer.concat([
      frame(0x1, Buffer.from('{"type":"tts"}')),
      frame(0x2, Buffer.alloc(300, 7)),
      frame(0x8, closePayload(4002, 'expired')),
    ]);
    assert.deepEqual(scan([stream]).close, { code: 4002 });
  });

  test('unmasks the code of a device (client) close frame', () => {
    const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const stream = Buffer.concat([
      frame(0x2, Buffer.alloc(60, 1), mask),
      frame(0x8, closePayload(1000), mask),
    ]);
    assert.deepEqual(scan([stream]).close, { code: 1000 });
  });

  test('a close frame without a payload has no code; one with a single byte neither', () => {
    assert.deepEqual(scan([frame(0x8, Buffer.alloc(0))]).close, { code: null });
    assert.deepEqual(scan([frame(0x8, Buffer.from([3]))]).close, { code: null });
  });

  test('no close frame, no close; push reports only the chunk that completes it', () => {
    const scanner = new FrameScanner();
    assert.equal(scanner.push(frame(0x1, Buffer.from('hi'))), false);
    assert.equal(scanner.close, null);
    const close = frame(0x8, closePayload(1001));
    assert.equal(scanner.push(close.subarray(0, 3)), false);
    assert.equal(scanner.push(close.subarray(3)), true);
    assert.equal(scanner.push(frame(0x8, closePayload(4000))), false);
    assert.deepEqual(scanner.close, { code: 1001 });
  });

  test('follows 16-bit and 64-bit extended lengths', () => {
    const stream = Buffer.concat([
      frame(0x2, Buffer.alloc(65535, 2)),
      frame(0x2, Buffer.alloc(70000, 3)),
      frame(0x8, closePayload(3001)),
    ]);
    assert.deepEqual(scan([stream]).close, { code: 3001 });
  });

  test('a length past 2^53 stops the scan instead of misreading', () => {
    const head = Buffer.from([0x82, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const scanner = scan([head, frame(0x8, closePayload(1000))]);
    assert.equal(scanner.lost, true);
    assert.equal(scanner.close, null);
  });

  test('any split of any frame sequence gives the same close code', () => {
    const dataFrame = fc.record({
      opcode: fc.constantFrom(0x0, 0x1, 0x2, 0x9, 0xa),
      length: fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: 200 }) },
        { weight: 1, arbitrary: fc.integer({ min: 126, max: 70_000 }) },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(dataFrame, { maxLength: 8 }),
        fc.option(fc.integer({ min: 1000, max: 4999 }), { nil: undefined }),
        fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: undefined }),
        fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 20 }),
        (frames, code, maskBytes, cuts) => {
          const mask = maskBytes === undefined ? undefined : Buffer.from(maskBytes);
          const parts = frames.map(({ opcode, length }) => frame(opcode, Buffer.alloc(length, 0x88), mask));
          parts.push(frame(0x8, code === undefined ? Buffer.alloc(0) : closePayload(code, 'r'), mask));
          const stream = Buffer.concat(parts);
          const chunks: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length] ?? 1;
            chunks.push(stream.subarray(at, at + size));
            at += size;
          }
          assert.deepEqual(scan(chunks).close, { code: code ?? null });
        },
      ),
      { numRuns: 300 },
    );
  });
});
