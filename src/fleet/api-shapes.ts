/**
 * The fleet's records in the admin API's JSON shapes (docs/fleet.md "Device record", "Update attempts"),
 * shared by `/admin/api/…`, the console and the CLI's `--json`.
 */
import { isBlocked } from './protections.js';
import type { DeviceRecord } from './store/types.js';
import type { Attempt, AuditEntry } from './types.js';

export interface BlockJson {
  readonly entry_id: string;
  readonly board: string;
  readonly version: string;
  readonly reason: string | null;
  readonly failures: number;
  readonly since: number | null;
}

export interface DeviceJson {
  readonly id: string;
  readonly client_id: string | null;
  readonly board: string | null;
  readonly board_type: string | null;
  readonly chip: string | null;
  readonly version: string | null;
  readonly ota_label: string | null;
  readonly slot_bytes: { readonly ota_0: number | null; readonly ota_1: number | null };
  readonly flash_size: number | null;
  readonly language: string | null;
  readonly first_seen: number;
  readonly last_seen: number;
  readonly last_address: string | null;
  readonly checks: number;
  readonly last_status: number | null;
  readonly last_outcome: string | null;
  readonly transport: string | null;
  readonly voice_online: boolean;
  readonly voice_last_seen: number | null;
  readonly activation_pending: boolean;
  /** State of the open or last attempt. */
  readonly state: string | null;
  readonly blocked: readonly BlockJson[];
  readonly last_exchange: Readonly<Record<string, unknown>> | null;
}

export interface AttemptJson {
  readonly id: string;
  readonly device: string;
  readonly entry_id: string;
  readonly board: string;
  readonly from_version: string;
  readonly to_version: string;
  readonly file: string;
  readonly forced: boolean;
  readonly url_kind: string;
  readonly number: number;
  readonly offered_at: number;
  readonly offered_by: string;
  readonly download_started_at: number | null;
  readonly download_bytes: number;
  readonly download_completed_at: number | null;
  readonly download_by: string | null;
  readonly ended_at: number | null;
  readonly ended_by: string | null;
  readonly state: string;
  readonly reason: string | null;
  readonly counted: boolean;
}

export function deviceJson(record: DeviceRecord, maxFailedAttempts: number): DeviceJson {
  return {
    id: record.id,
    client_id: record.clientId,
    board: record.board,
    board_type: record.boardType,
    chip: record.chip,
    version: record.version,
    ota_label: record.otaLabel,
    slot_bytes: { ota_0: record.slotBytes.ota0, ota_1: record.slotBytes.ota1 },
    flash_size: record.flashSize,
    language: record.language,
    first_seen: record.firstSeen,
    last_seen: record.lastSeen,
    last_address: record.lastAddress,
    checks: record.checks,
    last_status: record.lastStatus,
    last_outcome: record.lastOutcome,
    transport: record.transport,
    voice_online: record.voiceOnline,
    voice_last_seen: record.voiceLastSeen,
    activation_pending: record.activationPending,
    state: record.attemptState,
    blocked: record.entries
      .filter((e) => isBlocked(e, maxFailedAttempts))
      .map((e) => ({
        entry_id: e.entryId,
        board: e.board,
        version: e.version,
        reason: e.lastReason,
        failures: e.failures,
        since: e.blockedSince,
      })),
    last_exchange: record.lastExchange,
  };
}

export function attemptJson(a: Attempt): AttemptJson {
  return {
    id: a.id,
    device: a.device,
    entry_id: a.entryId,
    board: a.board,
    from_version: a.fromVersion,
    to_version: a.toVersion,
    file: a.file,
    forced: a.forced,
    url_kind: a.urlKind,
    number: a.number,
    offered_at: a.offeredAt,
    offered_by: a.offeredBy,
    download_started_at: a.downloadStartedAt,
    download_bytes: a.downloadBytes,
    download_completed_at: a.downloadCompletedAt,
    download_by: a.downloadBy,
    ended_at: a.endedAt,
    ended_by: a.endedBy,
    state: a.state,
    reason: a.reason,
    counted: a.counted,
  };
}

export function auditJson(e: AuditEntry) {
  return {
    seq: e.seq,
    at: e.at,
    action: e.action,
    target: e.target,
    means: e.means,
    address: e.address,
    detail: e.detail,
  };
}
