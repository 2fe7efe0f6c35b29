/**
 * The fake xiaozhi-server, run as its own process: answers every OTA check with a captured reply, byte
 * for byte (upstream-captures/java-mqtt-and-websocket: websocket and mqtt sections, a firmware
 * placeholder), keep-alive like the real one. Optionally a concurrency gate: at most `maxConcurrent`
 * requests are served at once, each taking `serviceMs`, and the rest queue (the boot storm).
 *
 *   node --import tsx bench/upstream.ts '{"maxConcurrent":200,"serviceMs":250}'
 *
 * Talks to the orchestrator over IPC: sends `ready` with its port; answers `stats`.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { readCapture } from '../test/helpers/captures.js';

/** The captured reply every check gets. */
export const UPSTREAM_CAPTURE = 'java-mqtt-and-websocket';

export interface UpstreamOptions {
  /** `null`: no gate, every request is answered at once. */
  readonly maxConcurrent: number | null;
  /** Time each request holds its place in the gate, in ms. */
  readonly serviceMs: number;
}

export interface UpstreamStats {
  readonly type: 'stats';
  readonly served: number;
  readonly maxActive: number;
  readonly maxQueued: number;
}

function main(): void {
  const options = JSON.parse(process.argv[2] ?? '{}') as Partial<UpstreamOptions>;
  const maxConcurrent = options.maxConcurrent ?? null;
  const serviceMs = options.serviceMs ?? 0;
  const capture = readCapture(UPSTREAM_CAPTURE, 'response');
  const body = capture.body;
  // The captured header block minus what Node writes itself (Date, Connection, Content-Length).
  const fixed = capture.headers.filter(
    ([k]) => !['date', 'connection', 'content-length'].includes(k.toLowerCase()),
  );
  let date = new Date().toUTCString();
  setInterval(() => (date = new Date().toUTCString()), 1000).unref();

  let active = 0;
  let served = 0;
  let maxActive = 0;
  let maxQueued = 0;
  const queue: (() => void)[] = [];

  const answer = (res: ServerResponse): void => {
    const headers: [string, string][] = [...fixed, ['Date', date], ['Content-Length', String(body.length)]];
    res.writeHead(200, headers.flat());
    res.end(body);
    served += 1;
  };
  const release = (): void => {
    active -= 1;
    const next = queue.shift();
    if (next) next();
  };
  const serve = (res: ServerResponse): void => {
    active += 1;
    maxActive = Math.max(maxActive, active);
    let released = false;
    const done = (): void => {
      if (!released) {
        released = true;
        release();
      }
    };
    res.once('close', done);
    if (serviceMs > 0) {
      setTimeout(() => {
        if (!res.destroyed) answer(res);
        done();
      }, serviceMs);
    } else {
      answer(res);
      done();
    }
  };

  const server = http.createServer(
    { keepAliveTimeout: 65_000, headersTimeout: 60_000, requestTimeout: 0 },
    (req: IncomingMessage, res: ServerResponse) => {
      // The body is read whole before answering, as the real server does.
      req.resume();
      req.once('end', () => {
        if (maxConcurrent === null || active < maxConcurrent) serve(res);
        else {
          queue.push(() => serve(res));
          maxQueued = Math.max(maxQueued, queue.length);
        }
      });
    },
  );
  server.maxRequestsPerSocket = 0;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.send?.({ type: 'ready', port });
  });
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stats') {
      const stats: UpstreamStats = { type: 'stats', served, maxActive, maxQueued };
      process.send?.(stats);
    }
  });
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The orchestrator went away: never outlive it.
  process.once('disconnect', stop);
}

main();
