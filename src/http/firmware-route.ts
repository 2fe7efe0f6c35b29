/**
 * `GET`/`HEAD /firmware/<file>`: serves catalog images from disk (docs/configuration.md "Catalog", "Framing and
 * paths"; docs/device-contract.md §5). A file is found by its name in the catalog only, never by joining the
 * URL to a folder, and is streamed from a descriptor opened when the request arrives.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Catalog, CatalogEntry } from '../firmware/types.js';
import { contentRange, ifRangeHolds, parseRange } from '../firmware/byte-range.js';
import type { RawHeaders } from './framing.js';
import { deviceHeaders, writeDeviceReply, TEXT_TYPE } from './framing.js';

/** The path prefix this route answers. */
export const FIRMWARE_PREFIX = '/firmware/';

/** A catalog file name (docs/configuration.md "Catalog": `[A-Za-z0-9._-]+`); `.` and `..` never are. */
const FILE_NAME = /^[A-Za-z0-9._-]+$/;

export interface FirmwareRouteOptions {
  /** The catalog of this moment; `null` = no catalog, everything is 404. */
  readonly catalog: Catalog | null;
  readonly logger: Logger;
  /** The device's address as the proxy reads it (docs/configuration.md `when.source`), for the log line. */
  readonly clientAddress: string;
  /** A download that makes no progress this long is cut (docs/configuration.md "Framing and paths": 30 s). */
  readonly stallTimeoutMs?: number;
  /** Told when a download starts, completes or is aborted (for /metrics); never throws into the route. */
  readonly onDownload?: (event: FirmwareDownloadEvent) => void;
}

/** One step of a GET of a catalog image; every `started` is followed by exactly one `completed` or `aborted`. */
export interface FirmwareDownloadEvent {
  readonly phase: 'started' | 'completed' | 'aborted';
  readonly file: string;
  /** Bytes sent so far: 0 when started, the total when completed, what got out when aborted. */
  readonly bytes: number;
  readonly status: 200 | 206;
  readonly client: string;
}

/**
 * The catalog file a raw request target names, or `null`. Checked on the raw bytes, before and without
 * any decoding: `%2e%2e`, `..`, `\`, a further `/` or an absolute-form target never name a file.
 */
export function catalogEntryForTarget(rawUrl: string, catalog: Catalog | null): CatalogEntry | null {
  if (catalog === null) return null;
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  if (!path.startsWith(FIRMWARE_PREFIX)) return null;
  const name = path.slice(FIRMWARE_PREFIX.length);
  if (!FILE_NAME.test(name) || name === '.' || name === '..') return null;
  return catalog.byFile.get(name) ?? null;
}

/**
 * Answers one request for `/firmware/…`: 200/206/416 for a catalog file, 404 for anything else, 405 for
 * methods other than GET and HEAD, 503 while a file on disk no longer is what the catalog validated.
 */
export function serveFirmware(
  req: IncomingMessage,
  res: ServerResponse,
  {
    catalog,
    logger,
    clientAddress,
    stallTimeoutMs = 30_000,
    onDownload = () => undefined,
  }: FirmwareRouteOptions,
): void {
  const entry = catalogEntryForTarget(req.url ?? '', catalog);
  if (entry === null) {
    logger.debug(
      { client: clientAddress, target: req.url, status: 404 },
      'firmware request refused: not a catalog file',
    );
    writeDeviceReply(req, res, 404, { contentType: TEXT_TYPE, body: 'not found\n' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const body = Buffer.from('method not allowed\n', 'utf8');
    res.writeHead(
      405,
      deviceHeaders(req, {
        contentType: TEXT_TYPE,
        contentLength: body.length,
        extra: [['Allow', 'GET, HEAD']],
      }),
    );
    res.end(body);
    return;
  }
  const log = logger.child({ client: clientAddress, file: entry.file });
  const report: DownloadReporter = (phase, bytes, status) => {
    try {
      onDownload({ phase, file: entry.file, bytes, status, client: clientAddress });
    } catch (err) {
      log.error({ err }, 'download listener failed');
    }
  };
  serveEntry(req, res, entry, log, stallTimeoutMs, report).catch((err: unknown) => {
    // Only reached through a bug: every expected failure is handled inside.
    log.error({ err }, 'firmware download failed');
    if (!res.headersSent)
      writeDeviceReply(req, res, 500, { contentType: TEXT_TYPE, body: 'internal error\n' });
    else res.destroy();
  });
}

type DownloadReporter = (phase: FirmwareDownloadEvent['phase'], bytes: number, status: 200 | 206) => void;

async function serveEntry(
  req: IncomingMessage,
  res: ServerResponse,
  entry: CatalogEntry,
  log: Logger,
  stallTimeoutMs: number,
  report: DownloadReporter,
): Promise<void> {
  let fd: FileHandle;
  try {
    // Opened now: a file renamed over this one later does not change what this request streams.
    fd = await open(entry.path, 'r');
  } catch (err) {
    log.warn({ err, status: 503 }, 'firmware file cannot be opened; waiting for the catalog to reload');
    writeDeviceReply(req, res, 503, {
      contentType: TEXT_TYPE,
      body: 'firmware file changed, try again later\n',
    });
    return;
  }
  try {
    const stat = await fd.stat();
    // A file changed since the catalog validated it would be served under the old ETag, version and
    // size: refuse until the store reloads and validates it again (it polls every few seconds).
    if (!stat.isFile() || stat.size !== entry.size || stat.mtimeMs !== entry.mtimeMs) {
      log.warn(
        { status: 503, size: stat.size, expectedSize: entry.size },
        'firmware file changed since the catalog was loaded',
      );
      writeDeviceReply(req, res, 503, {
        contentType: TEXT_TYPE,
        body: 'firmware file changed, try again later\n',
      });
      return;
    }
    if (res.destroyed) {
      log.warn({ bytes: 0, status: 200 }, 'firmware download aborted');
      if (req.method === 'GET') {
        report('started', 0, 200);
        report('aborted', 0, 200);
      }
      return;
    }
    await respond(req, res, fd, entry, log, stallTimeoutMs, report);
  } finally {
    await fd.close().catch(() => undefined);
  }
}

async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  fd: FileHandle,
  entry: CatalogEntry,
  log: Logger,
  stallTimeoutMs: number,
  report: DownloadReporter,
): Promise<void> {
  const size = entry.size;
  const validators = { etag: `"${entry.sha256}"`, lastModified: new Date(entry.mtimeMs).toUTCString() };
  const common: RawHeaders = [
    ['ETag', validators.etag],
    ['Last-Modified', validators.lastModified],
    ['Accept-Ranges', 'bytes'],
  ];
  // Range is defined for GET only (RFC 9110 §14.2); If-Range failing means "send it whole" (§13.1.5).
  const range =
    req.method === 'GET' && ifRangeHolds(header(req, 'if-range'), validators)
      ? parseRange(header(req, 'range'), size)
      : ({ kind: 'none' } as const);

  let status: 200 | 206;
  let start = 0;
  let end = size - 1;
  switch (range.kind) {
    case 'none':
    case 'ignored':
      status = 200;
      break;
    case 'single':
      status = 206;
      start = range.start;
      end = range.end;
      common.push(['Content-Range', contentRange(range, size)]);
      break;
    case 'unsatisfiable': {
      const body = Buffer.from('range not satisfiable\n', 'utf8');
      res.writeHead(
        416,
        deviceHeaders(req, {
          contentType: TEXT_TYPE,
          contentLength: body.length,
          extra: [['Content-Range', contentRange(null, size)]],
        }),
      );
      res.end(body);
      log.info({ status: 416, range: header(req, 'range') }, 'firmware range not satisfiable');
      return;
    }
    default: {
      const never: never = range;
      throw new Error(`unhandled range ${String(never)}`);
    }
  }

  const length = end - start + 1;
  res.writeHead(
    status,
    deviceHeaders(req, { contentType: 'application/octet-stream', contentLength: length, extra: common }),
  );
  if (req.method === 'HEAD') {
    res.end();
    log.debug({ status, bytes: 0 }, 'firmware head');
    return;
  }

  const began = performance.now();
  report('started', 0, status);
  const outcome = await streamFile({ fd, res, entry, start, end, stallTimeoutMs });
  if (outcome.failure === null) {
    log.info(
      { status, bytes: outcome.sent, ms: Math.round(performance.now() - began) },
      'firmware download complete',
    );
    report('completed', outcome.sent, status);
    return;
  }
  // The client went away (or stalled), or the file changed under the stream: the connection is cut
  // before Content-Length is reached, so nobody takes a partial or mixed image for a whole one.
  res.destroy();
  log.warn(
    { status, bytes: outcome.sent, expected: length, reason: outcome.failure },
    'firmware download aborted',
  );
  report('aborted', outcome.sent, status);
}

/** Bytes read per step; one buffer per download, reused once the socket has taken the previous step. */
const CHUNK_BYTES = 32 * 1024;

/**
 * Streams bytes `start`–`end` of the file through one buffer per download (memory stays bounded with
 * hundreds of downloads at once), cuts a download that stalls, and writes the last chunk only after an
 * fstat shows the file still is the one validated — so an image rewritten in place mid-download is
 * never delivered complete.
 */
async function streamFile({
  fd,
  res,
  entry,
  start,
  end,
  stallTimeoutMs,
}: {
  fd: FileHandle;
  res: ServerResponse;
  entry: CatalogEntry;
  start: number;
  end: number;
  stallTimeoutMs: number;
}): Promise<{ sent: number; failure: string | null }> {
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK_BYTES, end - start + 1)));
  let position = start;
  let sent = 0;
  try {
    while (position <= end) {
      const { bytesRead } = await fd.read(buffer, 0, Math.min(buffer.length, end - position + 1), position);
      if (bytesRead === 0) return { sent, failure: 'file changed during the download' };
      position += bytesRead;
      if (position > end) {
        const stat = await fd.stat();
        if (stat.size !== entry.size || stat.mtimeMs !== entry.mtimeMs)
          return { sent, failure: 'file changed during the download' };
      }
      const stopped = await writeChunk(res, buffer.subarray(0, bytesRead), stallTimeoutMs);
      if (stopped !== null) return { sent, failure: stopped };
      sent += bytesRead;
    }
  } catch {
    return { sent, failure: 'file unreadable during the download' };
  }
  res.end();
  return { sent, failure: null };
}

/** Writes one chunk and waits until the socket has taken it: `null`, or why the download must stop. */
function writeChunk(res: ServerResponse, chunk: Buffer, stallTimeoutMs: number): Promise<string | null> {
  if (res.destroyed || res.writableEnded) return Promise.resolve('client went away');
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.off('close', onClose);
      resolve(result);
    };
    const onClose = (): void => settle('client went away');
    const timer = setTimeout(() => settle('stalled'), stallTimeoutMs);
    timer.unref();
    res.once('close', onClose);
    res.write(chunk, (err) => settle(err ? 'client went away' : null));
  });
}

function header(req: IncomingMessage, name: 'range' | 'if-range'): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
