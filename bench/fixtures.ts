/**
 * Writes what the benchmark runs on into its temporary folder: the firmware folder (200 app images and
 * catalog.yaml, from catalog-plan.ts) and the proxy's configuration files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAppImage } from '../test/helpers/app-image.js';
import { catalogPlan, catalogYaml, type PlannedEntry } from './catalog-plan.js';

export interface FirmwareFixture {
  readonly dir: string;
  readonly plan: readonly PlannedEntry[];
  /** sha256 (hex) of every file, by file name. */
  readonly sha256: ReadonlyMap<string, string>;
}

/** Builds every image of the plan and writes catalog.yaml next to them. */
export function writeFirmware(dir: string): FirmwareFixture {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const plan = catalogPlan();
  const sha256 = new Map<string, string>();
  for (const entry of plan) {
    const image = buildAppImage({
      version: entry.version,
      chipId: entry.chipId,
      size: entry.size,
      seed: entry.seed,
    });
    // World-readable: nginx's workers run as another user when the benchmark runs as root.
    writeFileSync(join(dir, entry.file), image, { mode: 0o644 });
    sha256.set(entry.file, createHash('sha256').update(image).digest('hex'));
  }
  writeFileSync(join(dir, 'catalog.yaml'), catalogYaml(plan, sha256), { mode: 0o644 });
  return { dir, plan, sha256 };
}

export interface ProxyConfigOptions {
  readonly port: number;
  readonly upstreamPort: number;
  readonly firmwareDir: string;
  /** `warn` by default: nothing is logged per check. `info` writes one line per check. */
  readonly logLevel?: 'warn' | 'info';
}

/** The websocket URL prefix the upstream capture hands out (java-mqtt-and-websocket). */
export const UPSTREAM_WEBSOCKET_PREFIX = 'ws://192.168.1.25:8000/';

/**
 * The proxy's configuration with the full rule set (docs/configuration.md "Rules, in order"): a rewrite prefix, a
 * websocket `when:` list, `mqtt: strip`, `server_time` from a zone, the 200-entry catalog, and the guard
 * (always on). Logging at `warn`: one line per check at `info` would put pino on the hot path.
 */
export function proxyConfigYaml({
  port,
  upstreamPort,
  firmwareDir,
  logLevel = 'warn',
}: ProxyConfigOptions): string {
  return `# written by bench/fixtures.ts
listen: 127.0.0.1:${port}
upstream:
  url: http://127.0.0.1:${upstreamPort}
  timeout_ms: 8000
ota_path: /xiaozhi/ota/
public_url: auto
rewrite:
  - from: ${UPSTREAM_WEBSOCKET_PREFIX}
    to: "{scheme}://{host}:8000/"
websocket:
  - when: { board: "m5stack-*", version: ">=1.2.0" }
    url: wss://voice.example.com/xiaozhi/v1/
  - url: ws://{host}:8000/xiaozhi/v1/
mqtt: strip
server_time:
  timezone: Europe/Berlin
firmware:
  dir: ${JSON.stringify(firmwareDir)}
  upstream_offers: keep
fallback:
  enabled: true
  remember_devices: 10000
shutdown_grace_ms: 2000
log:
  level: ${logLevel}
  pretty: false
`;
}
