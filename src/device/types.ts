/** The device and the request as the proxy reads them (docs/configuration.md "The device, as the proxy reads it"). */
import type { Origin } from '../config/types.js';

/** Read leniently from headers and body; `null` = unknown (a `when:` key on an unknown input does not match). */
export interface DeviceFacts {
  /** `Device-Id`, lowercased. */
  readonly id: string | null;
  readonly clientId: string | null;
  /** Build name: `board.name`, else the User-Agent's part before `/`, else `board.type`. */
  readonly build: string | null;
  /** `board.type`. */
  readonly boardType: string | null;
  /** Running version: `application.version`, else the User-Agent's part after `/`. */
  readonly version: string | null;
  /** `chip_model_name`, e.g. `esp32s3`. */
  readonly chip: string | null;
  /** `ota.label`, e.g. `ota_0` or `factory`. */
  readonly runningSlot: string | null;
  /** Sizes of the `ota_0`/`ota_1` partitions from `partition_table`. */
  readonly slotSizes: { readonly ota0: number | null; readonly ota1: number | null };
  /** No `Activation-Version` header: firmware ≤ 1.5.9, which requires a `firmware` object. */
  readonly legacy: boolean;
}

/** Where the request came from and which origin the device used to reach the proxy. */
export interface RequestFacts {
  /** The device's address (docs/configuration.md `when.source`), unmapped from IPv4-mapped IPv6. */
  readonly address: string;
  /** The socket peer, unmapped. */
  readonly peer: string;
  /** Whether the peer is in `trusted_proxies`. */
  readonly trustedPeer: boolean;
  /** The host the request named (`X-Forwarded-Host` from a trusted peer, else `Host`), no port, lowercase. */
  readonly host: string | null;
  /** The effective origin templates render from (docs/configuration.md "Templates"). */
  readonly origin: Origin;
}
