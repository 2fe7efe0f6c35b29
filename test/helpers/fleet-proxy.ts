/**
 * The real proxy with the fleet on, in front of a fake xiaozhi server, with a firmware catalog on disk:
 * what the end-to-end fleet tests drive with V2Device. Owns its teardown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetService } from '../../src/fleet/service.js';
import type { AttemptJson, DeviceJson } from '../../src/fleet/api-shapes.js';
import { buildAppImage } from './app-image.js';
import { startHarness, type Harness } from './proxy-harness.js';
import { FakeXiaozhi } from './v2-device.js';
import { waitFor } from './fleet-service.js';

export interface CatalogImage {
  readonly board: string;
  readonly version: string;
  /** Extra catalog keys, YAML lines indented by two spaces (e.g. `  force: true`). */
  readonly extra?: string;
  readonly size?: number;
}

export interface FleetProxy {
  readonly h: Harness;
  readonly fleet: FleetService;
  readonly xiaozhi: FakeXiaozhi;
  readonly port: number;
  /** The device's record and attempts (newest first) from the store, or null. */
  show(mac: string): Promise<{ device: DeviceJson; attempts: AttemptJson[] } | null>;
  /**
   * Waits until the device's attempt `number` (of its entry; default: the newest attempt) is in `state`,
   * and returns it.
   */
  attemptIn(mac: string, state: string, options?: { number?: number; ms?: number }): Promise<AttemptJson>;
  close(): Promise<void>;
}

export function fileOf(image: CatalogImage): string {
  return `${image.board}-${image.version}.bin`;
}

export function catalogYaml(images: readonly CatalogImage[]): string {
  return images
    .map(
      (i) =>
        `- board: ${i.board}\n  version: "${i.version}"\n  file: ${fileOf(i)}\n${i.extra === undefined ? '' : `${i.extra}\n`}`,
    )
    .join('');
}

export async function startFleetProxy({
  store,
  images,
  fleetYaml = '',
  firmwareYaml = '',
  yaml = '',
  xiaozhi = new FakeXiaozhi(),
}: {
  /** A `fleet.store` value; default a SQLite file in a temp folder of its own. */
  readonly store?: string;
  readonly images: readonly CatalogImage[];
  /** More `fleet:` keys, each line indented by two spaces. */
  readonly fleetYaml?: string;
  /** More `firmware:` keys, each line indented by two spaces. */
  readonly firmwareYaml?: string;
  /** More top-level YAML. */
  readonly yaml?: string;
  readonly xiaozhi?: FakeXiaozhi;
}): Promise<FleetProxy> {
  const own = store === undefined ? mkdtempSync(join(tmpdir(), 'fleet-e2e-')) : null;
  const storeValue = store ?? join(own ?? '', 'fleet.db');
  const files: Record<string, string | Buffer> = { 'firmware/catalog.yaml': catalogYaml(images) };
  for (const [n, image] of images.entries())
    files[`firmware/${fileOf(image)}`] = buildAppImage({
      version: image.version,
      size: image.size ?? 64 * 1024,
      seed: n,
    });
  const h = await startHarness({
    responder: xiaozhi.responder,
    files,
    yaml:
      `firmware:\n  dir: firmware\n${firmwareYaml}${yaml}` +
      `fleet:\n  enabled: true\n  store: ${storeValue}\n  flush_ms: 50\n  sync_ms: 150\n${fleetYaml}`,
  });
  const fleet = h.proxy.app.runtime.fleet;
  if (fleet === null) throw new Error('the fleet did not start');
  const show = (mac: string) => fleet.showDevice(mac);
  return {
    h,
    fleet,
    xiaozhi,
    port: h.port,
    show,
    async attemptIn(mac, state, { number, ms = 8000 } = {}) {
      let last: AttemptJson | undefined;
      await waitFor(
        `${mac}'s attempt ${number ?? '(newest)'} to be ${state}`,
        async () => {
          const attempts = (await show(mac))?.attempts ?? [];
          last = number === undefined ? attempts[0] : attempts.find((a) => a.number === number);
          return last?.state === state;
        },
        ms,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; it is ${JSON.stringify(last)}`);
      });
      return last as AttemptJson;
    },
    async close() {
      await h.close();
      if (own !== null) rmSync(own, { recursive: true, force: true });
    },
  };
}
