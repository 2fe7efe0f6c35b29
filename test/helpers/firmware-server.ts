/**
 * A real http.Server on 127.0.0.1:0 serving `/firmware/…` from a temporary folder, with a catalog built
 * straight from the files (no catalog.yaml) and a pino logger whose lines the test can read.
 * `close()` removes everything and closes every connection, so a run never hangs.
 */
import { createHash } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { readAppImage } from '../../src/firmware/app-image.js';
import type { Catalog, CatalogEntry } from '../../src/firmware/types.js';
import { serveFirmware } from '../../src/http/firmware-route.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A pino logger writing JSON lines into `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n'))
        if (text !== '') lines.push(JSON.parse(text) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), lines };
}

/** A catalog entry for a file already on disk; the image must be an app image. */
export async function entryFor(dir: string, file: string, index = 0): Promise<CatalogEntry> {
  const path = join(dir, file);
  const bytes = await readFile(path);
  const facts = await stat(path);
  const image = readAppImage(bytes);
  if (image.kind !== 'app') throw new Error(`${file} is not an app image`);
  return {
    index,
    board: '*',
    boardGlob: { text: '*', regex: /^.*$/i },
    version: image.info.version,
    file,
    path,
    url: null,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: facts.size,
    mtimeMs: facts.mtimeMs,
    rollout: 100,
    devices: null,
    exclude: [],
    minVersion: null,
    force: false,
    image: image.info,
  };
}

export function catalogOf(entries: readonly CatalogEntry[]): Catalog {
  return { entries, byFile: new Map(entries.map((e) => [e.file, e])) };
}

export interface FirmwareServer {
  readonly dir: string;
  readonly port: number;
  readonly lines: LogLine[];
  /** Replace the catalog the route sees. */
  setCatalog(catalog: Catalog | null): void;
  /** Write a file into the folder and put it in the catalog. */
  addFile(file: string, bytes: Uint8Array): Promise<CatalogEntry>;
  close(): Promise<void>;
}

export async function startFirmwareServer({
  stallTimeoutMs = 30_000,
}: { stallTimeoutMs?: number } = {}): Promise<FirmwareServer> {
  const dir = await mkdtemp(join(tmpdir(), 'xz-fw-'));
  const { logger, lines } = captureLogger();
  let catalog: Catalog | null = catalogOf([]);
  const server: Server = createServer((req, res) => {
    serveFirmware(req, res, {
      catalog,
      logger,
      clientAddress: req.socket.remoteAddress ?? '',
      stallTimeoutMs,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    dir,
    port: address.port,
    lines,
    setCatalog(next) {
      catalog = next;
    },
    async addFile(file, bytes) {
      await writeFile(join(dir, file), bytes);
      const entry = await entryFor(dir, file, catalog?.entries.length ?? 0);
      catalog = catalogOf([...(catalog?.entries ?? []).filter((e) => e.file !== file), entry]);
      return entry;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Sends raw bytes and returns everything the server wrote until it closed the connection. */
export function rawExchange(port: number, request: string, { timeoutMs = 5000 } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw exchange timed out'));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.write(request);
  });
}

/** Splits a raw HTTP/1.1 response into its status, header lines (as sent) and body bytes. */
export function splitResponse(raw: Buffer): {
  status: number;
  headerLines: string[];
  headers: Map<string, string>;
  body: Buffer;
} {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error('no end of headers');
  const [statusLine = '', ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headerLines, headers, body: raw.subarray(end + 4) };
}

export interface SimpleResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on its own connection (no agent, no keep-alive), the whole body buffered. */
export function fetchFirmware(
  port: number,
  path: string,
  { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
