/**
 * A reference point, not a contender: the least a Node process must do to relay an OTA check — an
 * http server, a keep-alive `http.request` upstream, the reply buffered, parsed, two fields changed and
 * written back with Content-Length. No rules, no guard, no catalog, no fallback. The proxy's distance to
 * this is its own work; this one's distance to the upstream is Node's HTTP stack on this machine.
 *
 *   node --import tsx bench/bare-relay.ts <upstream port>     (sends `ready` with its port over IPC)
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';

// Named functions, so that bench/profile-areas.ts can tell the relay's parts apart in a profile.

/** The device's request, its headers as the device sent them, to the upstream over the keep-alive pool. */
function sendUpstream(
  agent: http.Agent,
  upstreamPort: number,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
): void {
  // A raw header array gets no Host from Node: name the upstream, as a proxy does.
  const headers: string[] = ['Host', `127.0.0.1:${upstreamPort}`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    if (!/^(host|connection|content-length)$/i.test(name)) headers.push(name, req.rawHeaders[i + 1] ?? '');
  }
  headers.push('Content-Length', String(body.length));
  const up = http.request(
    { host: '127.0.0.1', port: upstreamPort, method: 'POST', path: req.url, agent, headers },
    (upRes) => readUpstreamReply(upRes, req, res),
  );
  up.on('error', () => answer(res, 502, null));
  up.end(body);
}

function readUpstreamReply(upRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  upRes.on('data', (chunk: Buffer) => parts.push(chunk));
  upRes.on('end', () => {
    const bytes = rewriteReply(Buffer.concat(parts), req.headers.host ?? '');
    answer(res, bytes === null ? 502 : 200, bytes);
  });
}

/** JSON.parse, two fields changed, JSON.stringify; `null` for a reply that is not JSON. */
function rewriteReply(raw: Buffer, host: string): Buffer | null {
  let reply: { websocket?: { url?: string }; mqtt?: unknown };
  try {
    reply = JSON.parse(raw.toString('utf8')) as typeof reply;
  } catch {
    return null;
  }
  delete reply.mqtt;
  if (reply.websocket) reply.websocket.url = `ws://${host.split(':')[0] ?? ''}:8000/xiaozhi/v1/`;
  return Buffer.from(JSON.stringify(reply), 'utf8');
}

function answer(res: ServerResponse, status: number, bytes: Buffer | null): void {
  if (bytes === null) {
    res.writeHead(status, ['Content-Length', '0']);
    res.end();
    return;
  }
  res.writeHead(status, [
    'Content-Type',
    'application/json',
    'Content-Length',
    String(bytes.length),
    'Date',
    new Date().toUTCString(),
  ]);
  res.end(bytes);
}

function main(): void {
  const upstreamPort = Number(process.argv[2]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => sendUpstream(agent, upstreamPort, req, Buffer.concat(chunks), res));
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({
      type: 'ready',
      port: typeof address === 'object' && address !== null ? address.port : 0,
    });
  });
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}

main();
