/**
 * An upstream on a raw TCP server (127.0.0.1:0) that reads HTTP/1.1 requests itself and answers each with
 * whatever bytes a handler writes — including things no HTTP server library would send, such as a bare
 * `101` after which the connection stops speaking HTTP. It counts connections so tests can tell whether
 * the proxy kept, reused or destroyed one. Owns its teardown.
 */
import net, { type Socket } from 'node:net';

export interface RawUpstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly head: string;
  readonly body: Buffer;
  /** 1-based number of the connection it came on, in accept order. */
  readonly connection: number;
}

/** Answers one request on `socket`; return `'stop'` to stop reading HTTP on this connection. */
export type RawHandler = (socket: Socket, request: RawUpstreamRequest) => void | 'stop';

export interface RawUpstream {
  readonly url: string;
  readonly requests: RawUpstreamRequest[];
  /** Connections accepted so far. */
  accepted(): number;
  /** Whether connection `n` (1-based) was closed (by either side). */
  closed(n: number): boolean;
  /** Connections open right now. */
  open(): number;
  close(): Promise<void>;
}

/** A keep-alive `200` with a body, as the upstream's HTTP server would write it. */
export function okReply(body: Buffer | string, contentType = 'application/json'): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nContent-Length: ${bytes.length}\r\n\r\n`),
    bytes,
  ]);
}

export async function startRawUpstream(handler: RawHandler): Promise<RawUpstream> {
  const requests: RawUpstreamRequest[] = [];
  const sockets = new Map<number, Socket>();
  const closed = new Set<number>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    const connection = ++accepted;
    sockets.set(connection, socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      closed.add(connection);
      sockets.delete(connection);
    });
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const [method = '', url = ''] = head.split(' ');
        const request = {
          method,
          url,
          head,
          body: buffered.subarray(end + 4, end + 4 + length),
          connection,
        };
        buffered = buffered.subarray(end + 4 + length);
        requests.push(request);
        if (handler(socket, request) === 'stop') {
          socket.off('data', onData);
          socket.resume();
          return;
        }
      }
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted: () => accepted,
    closed: (n) => closed.has(n),
    open: () => sockets.size,
    async close() {
      for (const socket of sockets.values()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
