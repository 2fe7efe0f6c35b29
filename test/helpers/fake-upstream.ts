/**
 * A real fake upstream on 127.0.0.1:0: answers each request with a handler's choice — the exact bytes of a
 * capture (chunked Java error replies included), a JSON body, or a misbehaviour (hang, reset, garbage).
 * It records what it received so tests can assert what the proxy forwarded.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readCapture } from './captures.js';

export interface Received {
  readonly method: string;
  readonly url: string;
  /** Raw pairs, casing kept. */
  readonly rawHeaders: readonly string[];
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export type Reply =
  | { readonly kind: 'capture'; readonly name: string }
  | { readonly kind: 'raw'; readonly bytes: Buffer | string }
  | {
      readonly kind: 'json';
      readonly body: unknown;
      readonly status?: number;
      readonly headers?: Record<string, string>;
    }
  | {
      readonly kind: 'text';
      readonly body: string | Buffer;
      readonly status?: number;
      readonly headers?: Record<string, string>;
    }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'close-after'; readonly bytes: Buffer | string };

export type Responder = (req: Received) => Reply | Promise<Reply>;

export interface FakeUpstream {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Replace the responder for the next requests. */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

export async function startFakeUpstream(
  responder: Responder = () => ({ kind: 'capture', name: 'python-default-post' }),
): Promise<FakeUpstream> {
  let current = responder;
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => void handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const got: Received = {
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders: req.rawHeaders,
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    received.push(got);
    const reply = await current(got);
    const socket = req.socket;
    switch (reply.kind) {
      case 'capture':
        socket.end(readCapture(reply.name, 'response').raw);
        return;
      case 'raw':
        socket.end(reply.bytes);
        return;
      case 'close-after':
        socket.write(reply.bytes, () => socket.destroy());
        return;
      case 'json': {
        const body = Buffer.from(JSON.stringify(reply.body));
        res.writeHead(reply.status ?? 200, {
          'Content-Type': 'application/json',
          'Content-Length': String(body.length),
          ...reply.headers,
        });
        res.end(body);
        return;
      }
      case 'text': {
        const body = Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body);
        res.writeHead(reply.status ?? 200, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Length': String(body.length),
          ...reply.headers,
        });
        res.end(body);
        return;
      }
      case 'hang':
        return;
      case 'reset':
        socket.resetAndDestroy();
        return;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    respond(next) {
      current = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
