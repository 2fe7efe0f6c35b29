/**
 * The fake xiaozhi-server of `npm run bench:hostile`, run as its own process: answers OTA checks
 * (`POST /xiaozhi/ota/`) at once with the captured Python reply (python-default-post, byte for byte,
 * keep-alive), and holds every other request — a passthrough path such as `/mcp/vision/explain` — without
 * ever answering, as a stuck upstream service would. Sends `{ type: 'ready', port }` over IPC.
 *
 *   node --import tsx bench/hostile-upstream.ts
 */
import http from 'node:http';
import { readCapture } from '../test/helpers/captures.js';

const capture = readCapture('python-default-post', 'response');
// The captured header block minus what Node writes itself.
const fixed = capture.headers
  .filter(([k]) => !['date', 'connection', 'content-length'].includes(k.toLowerCase()))
  .flat();

const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  req.resume();
  req.once('end', () => {
    if (req.method !== 'POST' || !req.url?.startsWith('/xiaozhi/ota/')) return; // held
    res.writeHead(200, [...fixed, 'Content-Length', String(capture.body.length)]);
    res.end(capture.body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0 });
});
const stop = (): void => {
  server.closeAllConnections();
  server.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.once('disconnect', stop);
