/**
 * What a reload may change (docs/configuration.md "Reload scope"): everything but `listen`, `tls`, `admin.listen`,
 * `voice_proxy`, `limits`, `passthrough`, `log.pretty` and the fleet's `enabled`, `store`, `token_secret`,
 * `max_pending` and `max_devices`, which need a restart and keep their running values.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from './types.js';

export interface ReloadPlan {
  /** The configuration to run with: the new one, with restart-only keys as they are running. */
  readonly config: Config;
  /** Restart-only keys whose new value differs (logged: "needs a restart"). */
  readonly restartKeys: readonly string[];
}

export function planReload(running: Config, next: Config): ReloadPlan {
  const restartKeys: string[] = [];
  const keep = <T>(key: string, a: T, b: T): T => {
    if (!isDeepStrictEqual(a, b)) restartKeys.push(key);
    return a;
  };
  const config: Config = {
    ...next,
    listen: keep('listen', running.listen, next.listen),
    tls: keep('tls', running.tls, next.tls),
    voiceProxy: keep('voice_proxy', running.voiceProxy, next.voiceProxy),
    limits: keep('limits', running.limits, next.limits),
    passthrough: keep('passthrough', running.passthrough, next.passthrough),
    fleet: {
      ...next.fleet,
      enabled: keep('fleet.enabled', running.fleet.enabled, next.fleet.enabled),
      store: keep('fleet.store', running.fleet.store, next.fleet.store),
      tokenSecret: keep('fleet.token_secret', running.fleet.tokenSecret, next.fleet.tokenSecret),
      maxPending: keep('fleet.max_pending', running.fleet.maxPending, next.fleet.maxPending),
      maxDevices: keep('fleet.max_devices', running.fleet.maxDevices, next.fleet.maxDevices),
    },
    admin: { ...next.admin, listen: keep('admin.listen', running.admin.listen, next.admin.listen) },
    log: { ...next.log, pretty: keep('log.pretty', running.log.pretty, next.log.pretty) },
  };
  return { config, restartKeys };
}
