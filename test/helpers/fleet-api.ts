/**
 * The fleet API's tests' common ground: a proxy with the fleet on a given store, a firmware folder with a
 * commented catalog, the Bearer calls, device checks through the running fleet, and a snapshot of the
 * firmware folder's bytes (to prove a refused change changed nothing).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceFacts } from '../../src/device/types.js';
import type { FleetService } from '../../src/fleet/service.js';
import { buildAppImage } from './app-image.js';
import { checkThrough } from './fleet-service.js';
import { startHarness, type Harness } from './proxy-harness.js';

export const TOKEN = 'fleet-api-token-5c1d';

/** A catalog with comments everywhere the operator might write them. */
export const COMMENTED_CATALOG = `# Our firmware — edited by hand and by the proxy.
# Keep this header.

- board: bread-compact-wifi # the breadboard build
  version: "1.7.0"
  file: bread-1.7.0.bin
  rollout: 100 # everyone

# An entry whose image is missing: skipped at load.
- board: lost-board
  version: "1.0.0"
  file: missing.bin
`;

export async function startFleetProxy(storeYaml: string | null): Promise<Harness> {
  const fleet =
    storeYaml === null
      ? ''
      : `fleet:\n  enabled: true\n  store: ${storeYaml}\n  flush_ms: 50\n  sync_ms: 100\n`;
  return startHarness({
    yaml: `admin:\n  token: ${TOKEN}\nfirmware:\n  dir: firmware\n${fleet}`,
    files: {
      'firmware/catalog.yaml': COMMENTED_CATALOG,
      'firmware/bread-1.7.0.bin': buildAppImage({ version: '1.7.0', size: 4096 }),
    },
  });
}

export interface ApiReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export async function api(
  h: Harness,
  method: string,
  path: string,
  {
    body,
    token = TOKEN,
    type,
  }: { body?: string | Uint8Array | FormData; token?: string | null; type?: string } = {},
): Promise<ApiReply> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (type !== undefined) headers['content-type'] = type;
  const res = await fetch(`${h.proxy.url}/admin/api${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export function json(value: unknown): { body: string; type: string } {
  return { body: JSON.stringify(value), type: 'application/json' };
}

export function fleetOf(h: Harness): FleetService {
  const fleet = h.proxy.app.runtime.fleet;
  if (fleet === null) throw new Error('the fleet is off in this harness');
  return fleet;
}

export function device(id: string, overrides: Partial<DeviceFacts> = {}): DeviceFacts {
  return {
    id,
    clientId: `client-${id}`,
    build: 'bread-compact-wifi',
    boardType: 'bread-compact-wifi',
    version: '1.6.0',
    chip: 'esp32s3',
    runningSlot: 'ota_0',
    slotSizes: { ota0: 4_194_304, ota1: 4_194_304 },
    legacy: false,
    ...overrides,
  };
}

/** Checks from these devices through the running fleet, written to the store. */
export async function seen(h: Harness, devices: readonly DeviceFacts[]): Promise<void> {
  const fleet = fleetOf(h);
  const catalog = h.proxy.catalogStore()?.current();
  if (catalog === null || catalog === undefined) throw new Error('no catalog');
  for (const d of devices) checkThrough(fleet, catalog, d);
  await fleet.flush();
  // A check's attempt is settled once its events are older than flush_ms + sync_ms (the harness: 150 ms;
  // docs/fleet.md "Write-behind"): wait that out and settle, so the tests after this see the attempts
  // however fast or slow the machine runs them.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await fleet.sync();
  await fleet.flush();
}

/** Every file of the firmware folder and its bytes (lock and temporary files would show up here too). */
export function folderBytes(h: Harness): Map<string, string> {
  const dir = join(h.dir, 'firmware');
  return new Map(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(join(dir, name)).toString('base64')]),
  );
}

export function catalogText(h: Harness): string {
  return readFileSync(join(h.dir, 'firmware', 'catalog.yaml'), 'utf8');
}
