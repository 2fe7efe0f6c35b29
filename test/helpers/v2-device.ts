/**
 * A device simulator of the v2 firmware's update logic (xiaozhi-esp32 `Application::CheckNewVersion`),
 * over real sockets: at each boot it checks (`POST /xiaozhi/ota/` with a real board's request bytes); when
 * the reply offers a newer version (or `force: 1`) it downloads the image, and a complete download
 * reboots it into the new image — which it keeps, or rejects and rolls back from, as the test decides.
 * A failed or skipped download falls through; a reply with `activation` makes it activate and check again
 * in the same boot (the activation re-check). The fake upstream below plays the xiaozhi server.
 */
import net from 'node:net';
import { probeRequestBytes } from '../../src/doctor/probe-request.js';
import { compareVersions, parseVersionNumbers } from '../../src/match/version.js';
import type { Reply, Received } from './fake-upstream.js';
import { rawRequest } from './raw-client.js';

/** What the device does with an offered download. */
export type DownloadPlan =
  /** Reads every byte, then closes cleanly. */
  | 'full'
  /** Never fetches the URL (unreachable from the device). */
  | 'skip'
  /** Reads half of the image, then the connection is reset (the device lost its network). */
  | 'cut';

/** What the device does after a complete download and its reboot. */
export type AfterFlash =
  /** Boots the new image and keeps it. */
  | 'keep'
  /** The image does not validate: the bootloader rolls back to the old one. */
  | 'reject'
  /** The device never comes back (bricked). */
  | 'brick';

export interface BootResult {
  /** Every check this boot made: the status and the parsed reply. */
  readonly checks: readonly { readonly status: number; readonly reply: OtaReply | null }[];
  /** The offered firmware this boot saw first, if any. */
  readonly offered: { readonly version: string; readonly url: string; readonly force?: number } | null;
  readonly downloaded: 'complete' | 'cut' | 'skipped' | 'failed' | null;
  /** The version the device runs after this boot (its next boot reports it). */
  readonly version: string;
  readonly bricked: boolean;
}

export interface OtaReply {
  readonly firmware?: { readonly version: string; readonly url: string; readonly force?: number };
  readonly activation?: { readonly code: string };
  readonly websocket?: { readonly url: string };
}

export class V2Device {
  version: string;
  bricked = false;
  readonly mac: string;
  readonly board: string;
  readonly chip: string;
  readonly #port: () => number;

  constructor({
    mac,
    version,
    port,
    board = 'bread-compact-wifi',
    chip = 'esp32s3',
  }: {
    readonly mac: string;
    readonly version: string;
    /** The proxy's port (a function: replicas alternate). */
    readonly port: number | (() => number);
    readonly board?: string;
    readonly chip?: string;
  }) {
    this.mac = mac;
    this.version = version;
    this.board = board;
    this.chip = chip;
    this.#port = typeof port === 'number' ? () => port : port;
  }

  /** One OTA check as the board sends it. */
  async check(port = this.#port()): Promise<{ status: number; reply: OtaReply | null }> {
    const bytes = probeRequestBytes({
      device: {
        deviceId: this.mac,
        board: this.board,
        version: this.version,
        chip: this.chip,
        ip: '192.168.1.77',
      },
      host: `127.0.0.1:${port}`,
      path: '/xiaozhi/ota/',
    });
    const res = await rawRequest(port, bytes);
    let reply: OtaReply | null = null;
    if (res.status === 200) {
      try {
        reply = JSON.parse(res.body.toString('utf8')) as OtaReply;
      } catch {
        reply = null;
      }
    }
    return { status: res.status, reply };
  }

  /**
   * One boot: check; download an offer as `download` says; a complete download reboots the device into
   * the new image (`after`); otherwise activation (if asked) and a re-check in the same boot.
   */
  async boot({
    download = 'full',
    after = 'keep',
    downloadPort,
  }: {
    readonly download?: DownloadPlan;
    readonly after?: AfterFlash;
    /** Where the download goes (another replica); default: the URL's own port. */
    readonly downloadPort?: number;
  } = {}): Promise<BootResult> {
    if (this.bricked) throw new Error(`${this.mac} is bricked`);
    const checks: { status: number; reply: OtaReply | null }[] = [];
    let offered: BootResult['offered'] = null;
    let downloaded: BootResult['downloaded'] = null;
    for (let round = 0; round < 3; round++) {
      const check = await this.check();
      checks.push(check);
      const reply = check.reply;
      if (reply === null) break;
      const firmware = reply.firmware;
      if (firmware !== undefined && firmware.url !== '' && this.#wants(firmware)) {
        offered ??= firmware;
        const got = await this.#download(firmware.url, download, downloadPort);
        downloaded = got;
        if (got === 'complete') {
          // Reboot into the new image.
          if (after === 'keep') this.version = firmware.version;
          if (after === 'brick') this.bricked = true;
          return { checks, offered, downloaded, version: this.version, bricked: this.bricked };
        }
        // "Upgrade failed": the firmware carries on with this boot.
      }
      if (reply.activation === undefined) break;
      await this.#activate();
    }
    return { checks, offered, downloaded, version: this.version, bricked: this.bricked };
  }

  /** The firmware's rule: a newer version, or `force: 1` with a different one (docs/device-contract.md §3). */
  #wants(firmware: NonNullable<OtaReply['firmware']>): boolean {
    const offered = parseVersionNumbers(firmware.version);
    const running = parseVersionNumbers(this.version);
    if (offered === null || running === null) return false;
    if (firmware.force === 1) return compareVersions(offered, running) !== 0;
    return compareVersions(offered, running) > 0;
  }

  async #download(
    url: string,
    plan: DownloadPlan,
    port?: number,
  ): Promise<NonNullable<BootResult['downloaded']>> {
    if (plan === 'skip') return 'skipped';
    const target = new URL(url);
    return downloadImage({
      port: port ?? Number(target.port),
      path: target.pathname,
      host: target.host,
      cutAfterHalf: plan === 'cut',
    });
  }

  async #activate(): Promise<void> {
    const port = this.#port();
    const body = '{"algorithm":"hmac-sha256","serial_number":"","challenge":"c","hmac":"h"}';
    await rawRequest(
      port,
      `POST /xiaozhi/ota/activate HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nDevice-Id: ${this.mac}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
}

/**
 * A download as esp_http_client makes it: `GET` with Host and `Connection: close`, the body read to its
 * Content-Length, then a clean close — or a cut half-way through the body.
 */
export function downloadImage({
  port,
  path,
  host,
  cutAfterHalf = false,
  resetAfterLastByte = false,
  range,
}: {
  readonly port: number;
  readonly path: string;
  readonly host: string;
  readonly cutAfterHalf?: boolean;
  /** Reads every byte, then resets the connection instead of closing it. */
  readonly resetAfterLastByte?: boolean;
  readonly range?: string;
}): Promise<'complete' | 'cut' | 'failed'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let head: Buffer = Buffer.alloc(0);
    let length: number | null = null;
    let status = 0;
    let received = 0;
    let done = false;
    const finish = (result: 'complete' | 'cut' | 'failed'): void => {
      if (done) return;
      done = true;
      resolve(result);
    };
    socket.on('error', () => finish('failed'));
    socket.on('close', () => finish(length !== null && received >= length ? 'complete' : 'failed'));
    socket.on('data', (chunk: Buffer) => {
      if (length === null) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = head.subarray(0, end).toString('latin1');
        status = Number(text.split(' ')[1]);
        length = Number(/\r\nContent-Length: (\d+)/i.exec(text)?.[1] ?? '0');
        chunk = head.subarray(end + 4);
        if (status !== 200 && status !== 206) {
          socket.destroy();
          finish('failed');
          return;
        }
      }
      received += chunk.length;
      if (cutAfterHalf && received >= length / 2) {
        socket.resetAndDestroy();
        finish('cut');
        return;
      }
      if (received >= length) {
        if (resetAfterLastByte) {
          socket.resetAndDestroy();
          finish('complete');
          return;
        }
        socket.end();
      }
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${range === undefined ? '' : `Range: ${range}\r\n`}Connection: close\r\n\r\n`,
    );
  });
}

/**
 * The xiaozhi server as the devices see it: a WebSocket transport, the server time, the device's own
 * version in `firmware` (no offer of its own), and `activation` for devices not yet activated (until they
 * call `/activate`). `failing` devices get a reset instead (the proxy then answers 502: fallback off).
 */
export class FakeXiaozhi {
  readonly unactivated = new Set<string>();
  readonly failing = new Set<string>();

  readonly responder = (req: Received): Reply => {
    const device = String(req.headers['device-id'] ?? '').toLowerCase();
    if (req.url.endsWith('/activate')) {
      this.unactivated.delete(device);
      return { kind: 'json', body: { success: true } };
    }
    if (this.failing.has(device)) return { kind: 'reset' };
    let version = '0.0.0';
    try {
      version =
        (JSON.parse(req.body.toString('utf8')) as { application?: { version?: string } }).application
          ?.version ?? version;
    } catch {
      // keep the default
    }
    return {
      kind: 'json',
      body: {
        server_time: { timestamp: Date.now(), timezone_offset: 480 },
        firmware: { version, url: '' },
        websocket: { url: 'ws://10.0.0.5:8000/xiaozhi/v1/', token: 'test-token' },
        ...(this.unactivated.has(device)
          ? { activation: { code: '123456', message: 'xiaozhi.me\n123456', challenge: 'c' } }
          : {}),
      },
    };
  };
}
