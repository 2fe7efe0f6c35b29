import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import type { WebSocket } from 'ws';
import { nextMessages, startVoiceHarness } from '../helpers/voice-harness.js';
import type { Message, VoiceHarness } from '../helpers/voice-harness.js';

async function nextMessage(ws: WebSocket): Promise<Message> {
  const [message] = await nextMessages(ws, 1);
  assert.ok(message);
  return message;
}

describe('voice proxy: echo through a real WebSocket upstream', () => {
  let h: VoiceHarness;
  before(async () => {
    h = await startVoiceHarness();
  });
  after(() => h.close());

  test('a text message comes back as text, unchanged', async () => {
    const ws = await h.connect();
    const text = JSON.stringify({
      type: 'hello',
      version: 1,
      transport: 'websocket',
      audio_params: { format: 'opus', sample_rate: 16000 },
    });
    const replied = nextMessage(ws);
    ws.send(text);
    const reply = await replied;
    assert.equal(reply.isBinary, false);
    assert.equal(reply.data.toString('utf8'), text);
    ws.close(1000);
    await once(ws, 'close');
  });

  test('a binary frame comes back as binary, byte for byte', async () => {
    const ws = await h.connect();
    const frame = Buffer.from(Array.from({ length: 320 }, (_, i) => (i * 7 + 3) & 0xff));
    const replied = nextMessage(ws);
    ws.send(frame, { binary: true });
    const reply = await replied;
    assert.equal(reply.isBinary, true);
    assert.deepEqual(reply.data, frame);
    ws.close(1000);
    await once(ws, 'close');
  });

  test('text and binary interleaved keep their order and types', async () => {
    const ws = await h.connect();
    const sent: Message[] = [];
    const replies = nextMessages(ws, 20);
    for (let i = 0; i < 20; i++) {
      const isBinary = i % 2 === 1;
      const data = isBinary ? Buffer.from([i, 0, 255, i]) : Buffer.from(`{"n":${i}}`);
      sent.push({ data, isBinary });
      ws.send(data, { binary: isBinary });
    }
    assert.deepEqual(await replies, sent);
    ws.close(1000);
    await once(ws, 'close');
  });

  test('an empty binary frame and a fragmented message pass', async () => {
    const ws = await h.connect();
    const empty = nextMessage(ws);
    ws.send(Buffer.alloc(0), { binary: true });
    assert.deepEqual(await empty, { data: Buffer.alloc(0), isBinary: true });
    const reply = nextMessage(ws);
    ws.send(Buffer.from('abc'), { binary: true, fin: false });
    ws.send(Buffer.from('def'), { binary: true, fin: true });
    assert.deepEqual(await reply, { data: Buffer.from('abcdef'), isBinary: true });
    ws.close(1000);
    await once(ws, 'close');
  });
});
