/**
 * The OTA check doctor sends: what a real board sends at boot (docs/device-contract.md §1;
 * upstream-captures/python-default-post.request.http) — the header set and order of the firmware's HTTP
 * client, and the `Board::GetSystemInfoJson()` inventory for the chosen board, version and chip.
 */
import { createHash } from 'node:crypto';
import { chipIdForName } from '../firmware/app-image.js';
import { compareVersions, parseVersionNumbers } from '../match/version.js';

export interface ProbeDevice {
  /** Lowercase colon-separated MAC (the `Device-Id` header). */
  readonly deviceId: string;
  /** Build name: `board.name` and the User-Agent's part before `/`. */
  readonly board: string;
  /** Running firmware version. */
  readonly version: string;
  /** ESP-IDF target name (`chip_model_name`). */
  readonly chip: string;
  /** The device's LAN address as it reports it in `board.ip`. */
  readonly ip: string;
}

/** doctor's default device: a locally administered MAC, so no real device's records are touched. */
export const DEFAULT_PROBE_DEVICE: ProbeDevice = {
  deviceId: '02:00:00:d0:c7:01',
  board: 'bread-compact-wifi',
  version: '1.6.0',
  chip: 'esp32s3',
  ip: '0.0.0.0',
};

/** A stable lowercase UUID for a device id (the firmware keeps one in flash; the upstream keys tokens on it). */
export function clientIdFor(deviceId: string): string {
  const h = createHash('sha256').update(`xiaozhi-ota-proxy doctor|${deviceId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Whether the firmware is ≤ 1.5.9, which sends no `Activation-Version` (docs/device-contract.md §7). */
export function isLegacyVersion(version: string): boolean {
  const running = parseVersionNumbers(version);
  const first = parseVersionNumbers('1.6.0');
  return running !== null && first !== null && compareVersions(running, first) < 0;
}

/**
 * The inventory body, built by concatenation as the firmware does (note its single space in
 * `"partition_table": [`): 16 MB flash with two 4 MB app slots, running from ota_0.
 */
export function probeBody(device: ProbeDevice, clientId: string): string {
  const chipModel = chipIdForName(device.chip) ?? 9;
  const q = JSON.stringify;
  const partitions = [
    '{"label":"nvs","type":1,"subtype":2,"address":36864,"size":16384}',
    '{"label":"otadata","type":1,"subtype":0,"address":53248,"size":8192}',
    '{"label":"phy_init","type":1,"subtype":1,"address":61440,"size":4096}',
    '{"label":"ota_0","type":0,"subtype":16,"address":131072,"size":4128768}',
    '{"label":"ota_1","type":0,"subtype":17,"address":4259840,"size":4128768}',
    '{"label":"assets","type":1,"subtype":130,"address":8388608,"size":8388608}',
  ].join(',');
  return (
    `{"version":2,"language":"zh-CN","flash_size":16777216,"minimum_free_heap_size":"8318916",` +
    `"mac_address":${q(device.deviceId)},"uuid":${q(clientId)},"chip_model_name":${q(device.chip)},` +
    `"chip_info":{"model":${chipModel},"cores":2,"revision":2,"features":18},` +
    `"application":{"name":"xiaozhi","version":${q(device.version)},"compile_time":"Jan  1 2026T00:00:00Z","idf_version":"v5.4.1",` +
    `"elf_sha256":"${createHash('sha256').update(`${device.board}/${device.version}`).digest('hex')}"},` +
    `"partition_table": [${partitions}],"ota":{"label":"ota_0"},"display":{"monochrome":true,"width":128,"height":32},` +
    `"board":{"type":${q(device.board)},"name":${q(device.board)},"manufacturer":"","ssid":"doctor","rssi":-50,"channel":1,` +
    `"ip":${q(device.ip)},"mac":${q(device.deviceId)}}}`
  );
}

export interface ProbeRequestOptions {
  readonly device: ProbeDevice;
  /** The `Host` header: how the device names the server it dials. */
  readonly host: string;
  readonly path: string;
  /** Sent after the device's own headers (e.g. `X-Forwarded-For` for a `when.source` test). */
  readonly extraHeaders?: readonly (readonly [string, string])[];
}

/** The exact request bytes: `Host` first, the firmware's headers in its order, then Content-Length and Connection: close. */
export function probeRequestBytes({ device, host, path, extraHeaders = [] }: ProbeRequestOptions): Buffer {
  const clientId = clientIdFor(device.deviceId);
  const body = Buffer.from(probeBody(device, clientId), 'utf8');
  const headers: [string, string][] = [
    ['Host', host],
    ['Accept-Language', 'zh-CN'],
  ];
  if (!isLegacyVersion(device.version)) headers.push(['Activation-Version', '1']);
  headers.push(
    ['Client-Id', clientId],
    ['Content-Type', 'application/json'],
    ['Device-Id', device.deviceId],
    ['User-Agent', `${device.board}/${device.version}`],
    ...extraHeaders.map(([n, v]): [string, string] => [n, v]),
    ['Content-Length', String(body.length)],
    ['Connection', 'close'],
  );
  const head = `POST ${path} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
