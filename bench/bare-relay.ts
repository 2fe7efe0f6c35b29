/**
 * A reference point, not a contender: the least a Node process must do to relay an OTA check — an
 * http server, a keep-alive `http.request` upstream, the reply buffered, parsed, two fields changed and
 * written back with Content-Length. No rules, no guard, no catalog, no fallback. The proxy's distance to
 * this is its own work; this one's distance to the upstream is Node's HTTP stack on this machine.
 *
 *   node --import tsx bench/bare-relay.ts <upstream port>     (sends `ready` with its port over IPC)
 */
import http from 'node:http';

function main(): void {
  const upstreamPort = Number(process.argv[2]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      // A raw header array gets no Host from Node: name the upstream, as a proxy does.
      const headers: string[] = ['Host', `127.0.0.1:${upstreamPort}`];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] ?? '';
        if (!/^(host|connection|content-length)$/i.test(name))
          headers.push(name, req.rawHeaders[i + 1] ?? '');
      }
      headers.push('Content-Length', String(body.length));
      const up = http.request(
        { host: '127.0.0.1', port: upstreamPort, method: 'POST', path: req.url, agent, headers },
        (upRes) => {
          const parts: Buffer[] = [];
          upRes.on('data', (chunk: Buffer) => parts.push(chunk));
          upRes.on('end', () => {
            let reply: { websocket?: { url?: string }; mqtt?: unknown };
            try {
              reply = JSON.parse(Buffer.concat(parts).toString('utf8')) as typeof reply;
            } catch {
              res.writeHead(502, ['Content-Length', '0']);
              res.end();
              return;
            }
            delete reply.mqtt;
            if (reply.websocket)
              reply.websocket.url = `ws://${(req.headers.host ?? '').split(':')[0] ?? ''}:8000/xiaozhi/v1/`;
            const bytes = Buffer.from(JSON.stringify(reply), 'utf8');
            res.writeHead(200, [
              'Content-Type',
              'application/json',
              'Content-Length',
              String(bytes.length),
              'Date',
              new Date().toUTCString(),
            ]);
            res.end(bytes);
          });
        },
      );
      up.on('error', () => {
        res.writeHead(502, ['Content-Length', '0']);
        res.end();
      });
      up.end(body);
    });
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
