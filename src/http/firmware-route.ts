/**
 * `GET`/`HEAD /firmware/<file>` and, with the fleet on, `/firmware/<token>/<file>`: serves catalog images
 * from disk (docs/configuration.md "Catalog", "Framing and paths"; docs/device-contract.md §5;
 * docs/fleet.md "Download tokens"). A file is found by its name in the catalog only, never by joining the
 * URL to a folder, and is streamed from a descriptor opened when the request arrives. A download with a
 * valid device token is told to the fleet: its start, and its end once the connection is gone.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Catalog, CatalogEntry } from '../firmware/types.js';
import { contentRange, ifRangeHolds, parseRange } from '../firmware/byte-range.js';
import { shortenToken } from '../fleet/download-token.js';
import type { FleetService } from '../fleet/service.js';
import { watchDownloadEnd } from './download-end.js';
import type { RawHeaders } from './framing.js';
import { deviceHeaders, withoutKeepAliveHint, writeDeviceReply, TEXT_TYPE } from './framing.js';

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
  /** The fleet's download tokens and tracking; absent or `null` = fleet off (no tokened paths). */
  readonly fleet?: FirmwareFleet | null;
}

/** What the route needs of the fleet (docs/fleet.md "Download tokens"). */
export interface FirmwareFleet {
  readonly service: Pick<FleetService, 'verifyToken' | 'observeDownload'>;
  /** `firmware.require_token`: only valid tokens get an image. */
  readonly requireToken: boolean;
  /** This process's clock (ms). */
  now(): number;
}

/** What a request target names: a catalog entry, and the token it carries (`null`: the plain URL). */
export interface FirmwareTarget {
  readonly entry: CatalogEntry;
  readonly token: string | null;
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
  const target = firmwareTarget(rawUrl, catalog);
  return target === null || target.token !== null ? null : target.entry;
}

/**
 * The catalog file a raw target names, plain (`/firmware/<file>`) or tokened (`/firmware/<token>/<file>`),
 * or `null`. Both parts are checked on the raw bytes as one file name is: nothing is decoded or joined.
 */
export function firmwareTarget(rawUrl: string, catalog: Catalog | null): FirmwareTarget | null {
  if (catalog === null) return null;
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  if (!path.startsWith(FIRMWARE_PREFIX)) return null;
  const parts = path.slice(FIRMWARE_PREFIX.length).split('/');
  if (parts.length > 2 || !parts.every(isFileName)) return null;
  const name = parts[parts.length - 1] ?? '';
  const entry = catalog.byFile.get(name);
  if (entry === undefined) return null;
  return { entry, token: parts.length === 2 ? (parts[0] ?? null) : null };
}

function isFileName(part: string): boolean {
  return FILE_NAME.test(part) && part !== '.' && part !== '..';
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
    fleet = null,
  }: FirmwareRouteOptions,
): void {
  // Every reply here carries only the device framing headers (docs/configuration.md "Framing and paths").
  withoutKeepAliveHint(res);
  const target = firmwareTarget(req.url ?? '', catalog);
  // With the fleet off there are no tokens: a tokened path names nothing, as before the fleet.
  if (target === null || (target.token !== null && fleet === null)) {
    logger.debug(
      { client: clientAddress, target: shownTarget(req.url), status: 404 },
      'firmware request refused: not a catalog file',
    );
    writeDeviceReply(req, res, 404, { contentType: TEXT_TYPE, body: 'not found\n' });
    return;
  }
  const { entry } = target;
  // The device a valid token names; a token that does not verify (a changed secret) is served untracked.
  const device =
    target.token === null || fleet === null ? null : fleet.service.verifyToken(target.token, entry.file);
  if (fleet?.requireToken === true && device === null) {
    logger.info(
      { client: clientAddress, target: shownTarget(req.url), status: 404 },
      target.token === null
        ? 'firmware request refused: firmware.require_token and no token'
        : 'firmware request refused: the token is not valid for this file',
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
  const log = logger.child({
    client: clientAddress,
    file: entry.file,
    ...(device === null ? {} : { device }),
  });
  const report: DownloadReporter = (phase, bytes, status) => {
    try {
      onDownload({ phase, file: entry.file, bytes, status, client: clientAddress });
    } catch (err) {
      log.error({ err }, 'download listener failed');
    }
  };
  const track: FleetReporter | null =
    device === null || fleet === null
      ? null
      : (phase, bytes) =>
          fleet.service.observeDownload({ device, file: entry.file, phase, bytes, at: fleet.now() });
  serveEntry(req, res, entry, log, stallTimeoutMs, report, track).catch((err: unknown) => {
    // Only reached through a bug: every expected failure is handled inside.
    log.error({ err }, 'firmware download failed');
    if (!res.headersSent)
      writeDeviceReply(req, res, 500, { contentType: TEXT_TYPE, body: 'internal error\n' });
    else res.destroy();
  });
}

type DownloadReporter = (phase: FirmwareDownloadEvent['phase'], bytes: number, status: 200 | 206) => void;
/** Tells the fleet about a tracked download (a valid token); `null` when the download is not tracked. */
type FleetReporter = (phase: FirmwareDownloadEvent['phase'], bytes: number) => void;

/** A target as logged: a token shortened (docs/fleet.md "Download tokens"). */
function shownTarget(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const parts = url.split('/');
  return parts.length === 4 && parts[2] !== undefined
    ? [parts[0], parts[1], shortenToken(parts[2]), parts[3]].join('/')
    : url;
}

async function serveEntry(
  req: IncomingMessage,
  res: ServerResponse,
  entry: CatalogEntry,
  log: Logger,
  stallTimeoutMs: number,
  report: DownloadReporter,
  track: FleetReporter | null,
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
        track?.('started', 0);
        track?.('aborted', 0);
      }
      return;
    }
    await respond(req, res, fd, entry, log, stallTimeoutMs, report, track);
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
  track: FleetReporter | null,
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
  // A range that stops short of the image's end is part of a segmented download: only one reaching the
  // last byte starts or ends the device's download for the fleet (docs/fleet.md "Download tokens").
  const fleetTrack = end === size - 1 ? track : null;
  fleetTrack?.('started', 0);
  const ended = fleetTrack === null ? null : watchDownloadEnd(res, stallTimeoutMs);
  const outcome = await streamFile({ fd, res, entry, start, end, stallTimeoutMs });
  if (outcome.failure === null) {
    log.info(
      { status, bytes: outcome.sent, ms: Math.round(performance.now() - began) },
      'firmware download complete',
    );
    report('completed', outcome.sent, status);
    if (fleetTrack !== null && ended !== null) {
      const sent = outcome.sent;
      void ended.then((how) => {
        if (how === 'reset') log.warn({ bytes: sent }, 'firmware download reset after its last byte');
        fleetTrack(how === 'clean' ? 'completed' : 'aborted', sent);
      });
    }
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
  fleetTrack?.('aborted', outcome.sent);
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
