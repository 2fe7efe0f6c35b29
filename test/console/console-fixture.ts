/**
 * A real proxy for console tests and screenshots: fake upstream, fleet on (memory or SQLite), an admin
 * token, a firmware folder with a catalog of real app images; and a fleet seeded through the service
 * exactly as the OTA check feeds it (test/helpers/fleet-service.ts `checkThrough`).
 */
import type { DeviceFacts } from '../../src/device/types.js';
import type { FleetService } from '../../src/fleet/service.js';
import { buildAppImage } from '../helpers/app-image.js';
import { checkThrough } from '../helpers/fleet-service.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';

export const ADMIN_TOKEN = 'console-test-token-0123456789';

export interface ConsoleProxy {
  readonly harness: Harness;
  /** `http://127.0.0.1:<port>` of the admin listener. */
  readonly adminUrl: string;
  readonly fleet: FleetService;
  close(): Promise<void>;
}

export interface ImageSpec {
  readonly board: string;
  readonly version: string;
  readonly rollout?: number;
  readonly chipId?: number;
}

export function catalogYaml(images: readonly ImageSpec[]): string {
  return images
    .map(
      (i) =>
        `- board: ${JSON.stringify(i.board)}\n  version: "${i.version}"\n  file: ${fileOf(i)}\n  rollout: ${i.rollout ?? 100}\n`,
    )
    .join('');
}

export function fileOf(i: ImageSpec): string {
  return `${i.board.replace(/[^A-Za-z0-9._-]/g, '_')}-${i.version}.bin`;
}

export async function startConsoleProxy({
  images = [],
  extraYaml = '',
}: { images?: readonly ImageSpec[]; extraYaml?: string } = {}): Promise<ConsoleProxy> {
  const files: Record<string, string | Buffer> = { 'firmware/catalog.yaml': catalogYaml(images) };
  images.forEach((i, n) => {
    files[`firmware/${fileOf(i)}`] = buildAppImage({
      version: i.version,
      chipId: i.chipId ?? 9,
      size: 4096,
      seed: n,
    });
  });
  const harness = await startHarness({
    files,
    yaml: [
      'admin:',
      `  token: ${ADMIN_TOKEN}`,
      '  listen: 127.0.0.1:0',
      'firmware:',
      '  dir: ./firmware',
      'fleet:',
      '  enabled: true',
      '  store: memory',
      '  flush_ms: 50',
      '  sync_ms: 100',
      extraYaml,
    ].join('\n'),
  });
  const adminUrl = harness.proxy.adminUrl;
  const fleet = harness.proxy.app.runtime.fleet;
  if (adminUrl === null || fleet === null) {
    await harness.close();
    throw new Error('the console proxy needs admin.listen and the fleet');
  }
  return { harness, adminUrl, fleet, close: () => harness.close() };
}

/** A device as the OTA check reads it. */
export function deviceFacts(id: string, board: string, version: string, chip = 'esp32s3'): DeviceFacts {
  return {
    id,
    clientId: `c0ffee00-0000-4000-8000-${id.replace(/:/g, '')}`,
    build: board,
    boardType: board,
    version,
    chip,
    runningSlot: 'ota_0',
    slotSizes: { ota0: 4_128_768, ota1: 4_128_768 },
    legacy: false,
  };
}

/** One check through the fleet as the proxy makes it, with the live catalog. */
export function seedCheck(proxy: ConsoleProxy, device: DeviceFacts, at = Date.now()) {
  const catalog = proxy.harness.proxy.app.runtime.catalog();
  if (catalog === null) throw new Error('no catalog');
  return checkThrough(proxy.fleet, catalog, device, { at });
}
