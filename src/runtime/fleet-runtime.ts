/**
 * The fleet in the running proxy (docs/fleet.md): opens the store `fleet.store` names, starts the
 * service (migrate, first sync, then flush and sync timers) and turns its notices into log lines. The
 * service never makes a device wait: a store that is down at start is retried at every sync.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { FleetService, type FleetNotice } from '../fleet/service.js';
import { openStore } from '../fleet/store/open-store.js';

export interface FleetRuntimeOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Also told every notice (metrics). */
  readonly onNotice?: (notice: FleetNotice) => void;
}

/** `null` when `fleet.enabled` is false: nothing a device sees changes. */
export async function startFleet({
  config,
  logger,
  onNotice,
}: FleetRuntimeOptions): Promise<FleetService | null> {
  if (!config.fleet.enabled) return null;
  const log = logger.child({ component: 'fleet' });
  const service = new FleetService({
    settings: config.fleet,
    requireToken: config.firmware.requireToken,
    store: openStore(config.fleet.store),
    notify: (notice) => {
      logFleetNotice(log, notice);
      onNotice?.(notice);
    },
  });
  await service.start();
  log.info(
    { store: describeStore(config), health: service.health(), replica: service.replica },
    service.health() === 'ok' ? 'fleet store ready' : 'fleet store not reachable yet: retrying at every sync',
  );
  return service;
}

/** The store as logged: never a database password. */
export function describeStore(config: Config): string {
  const { store } = config.fleet;
  switch (store.kind) {
    case 'memory':
      return 'memory';
    case 'sqlite':
      return store.path;
    case 'postgres': {
      const url = new URL(store.url);
      if (url.password !== '') url.password = '***';
      return url.toString();
    }
    default: {
      const never: never = store;
      return never;
    }
  }
}

/** docs/fleet.md "Logs": `update installed`, `update failed`, `device blocked`, `rollout halted` (warn), `rollout resumed`. */
export function logFleetNotice(log: Logger, notice: FleetNotice): void {
  switch (notice.kind) {
    case 'attempt-ended': {
      const { attempt } = notice;
      const fields = {
        device: attempt.device,
        entry: attempt.entryId,
        board: attempt.board,
        from: attempt.fromVersion,
        to: attempt.toVersion,
        number: attempt.number,
        state: attempt.state,
        ...(attempt.reason === null ? {} : { reason: attempt.reason }),
      };
      // The messages are fixed (docs/fleet.md "Logs"), so a log query finds them; the reason is a field.
      if (attempt.state === 'installed') log.info(fields, 'update installed');
      else if (attempt.counted) log.warn(fields, 'update failed');
      else log.info(fields, 'update ended');
      return;
    }
    case 'device-blocked':
      log.warn(
        {
          device: notice.device,
          entry: notice.entryId,
          board: notice.board,
          version: notice.version,
          failures: notice.failures,
          reason: notice.reason,
          // As /admin/explain says it (docs/fleet.md "Per device").
          detail: `blocked: failed ${notice.failures} times (${notice.reason ?? 'unknown'})`,
        },
        'device blocked',
      );
      return;
    case 'rollout-halted':
      log.warn(
        {
          entry: notice.entryId,
          board: notice.board,
          version: notice.version,
          halt: notice.halt,
          by: notice.actor ?? 'fleet',
        },
        'rollout halted',
      );
      return;
    case 'rollout-resumed':
      log.info({ entry: notice.entryId, by: notice.actor }, 'rollout resumed');
      return;
    case 'device-unblocked':
      log.info({ device: notice.device, entries: notice.entryIds, by: notice.actor }, 'device unblocked');
      return;
    case 'flush-failed':
      log.warn({ err: notice.error, pending: notice.pending }, 'fleet store write failed: observations wait');
      return;
    case 'dropped':
      log.warn(
        { seen: notice.seen, events: notice.events },
        'fleet observations dropped: fleet.max_pending reached while the store is unreachable',
      );
      return;
    case 'sync-failed':
      log.warn({ err: notice.error }, 'fleet store sync failed: replies use the last known state');
      return;
    case 'schema-newer':
      log.error(
        { found: notice.found, known: notice.known },
        'the fleet store has a newer schema than this version knows: no firmware offers until it is upgraded',
      );
      return;
    case 'settle-failed':
      log.warn({ err: notice.error }, 'fleet settle failed: retried at the next sync');
      return;
    case 'retained':
      if (notice.devices > 0 || notice.attempts > 0)
        log.info(
          { devices: notice.devices, attempts: notice.attempts },
          'fleet retention: old devices and attempts deleted',
        );
      return;
    case 'flushed':
    case 'synced':
    case 'anonymous-check':
      return;
    default: {
      const never: never = notice;
      throw new Error(`unhandled fleet notice ${JSON.stringify(never)}`);
    }
  }
}
