/**
 * The fleet's tables as Kysely sees them (one schema for SQLite and PostgreSQL: docs/fleet.md "Store").
 * Times are integer milliseconds since the epoch (bigint; read back as numbers), booleans are 0/1 integers
 * so both databases answer the same, JSON is text.
 */
import type { ColumnType, Generated } from 'kysely';

export interface DevicesTable {
  id: string;
  client_id: string | null;
  board: string | null;
  board_type: string | null;
  chip: string | null;
  /** `''` = unknown (not null: the version sort is the same keyset on both databases). */
  version: string;
  ota_label: string | null;
  slot_ota0: number | null;
  slot_ota1: number | null;
  flash_size: number | null;
  language: string | null;
  first_seen: number;
  last_seen: number;
  last_address: string | null;
  checks: number;
  last_status: number | null;
  last_outcome: string | null;
  transport: string | null;
  voice_online: number;
  voice_last_seen: number | null;
  activation_pending: number;
  /** JSON of the last exchange's summary. */
  last_exchange: string | null;
  /** State of the open or last attempt (the devices listing's `state` filter). */
  attempt_state: string | null;
  /** Events up to here have been folded into attempts (the settle claim). */
  folded_to: number;
}

export interface AttemptsTable {
  id: string;
  device: string;
  entry_id: string;
  board: string;
  from_version: string;
  to_version: string;
  file: string;
  forced: number;
  url_kind: string;
  number: number;
  offered_at: number;
  offered_by: string;
  activation: number;
  download_started_at: number | null;
  download_bytes: number;
  download_completed_at: number | null;
  download_by: string | null;
  reported_to_version: number;
  last_check_at: number | null;
  last_event_at: number;
  state: string;
  reason: string | null;
  counted: number;
  ended_at: number | null;
  ended_by: string | null;
  /** The store's clock when a settle last wrote the row (migration 3): a sync reads what changed since. */
  changed_at: number | null;
}

export interface EventsTable {
  /** `<replica>:<n>`: unique across replicas, so a re-sent batch inserts nothing twice. */
  id: string;
  device: string;
  at: number;
  kind: string;
  replica: string;
  /** JSON of the event's other members. */
  data: string;
}

export interface DeviceEntriesTable {
  device: string;
  entry_id: string;
  board: string;
  version: string;
  attempts: number;
  failures: number;
  last_reason: string | null;
  blocked_since: number | null;
  window_start: number;
  window_outcome: string | null;
}

export interface RolloutsTable {
  entry_id: string;
  board: string;
  version: string;
  window_start: number;
  failed_devices: number;
  installed_devices: number;
  halted_at: number | null;
  halted_by: string | null;
  halt_reason: string | null;
  halt_failed: number | null;
  halt_installed: number | null;
}

export interface AuditTable {
  seq: Generated<number>;
  at: number;
  action: string;
  target: string;
  means: string;
  address: string | null;
  detail: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

/** Each replica's write watermark (migration 3): its events up to `written_to` are in the store. */
export interface ReplicasTable {
  id: string;
  written_to: number;
  /** The store's clock at the replica's last flush: a replica silent for long is gone. */
  seen_at: number;
}

export interface SchemaTable {
  version: ColumnType<number, number, number>;
}

export interface FleetDatabase {
  devices: DevicesTable;
  attempts: AttemptsTable;
  events: EventsTable;
  device_entries: DeviceEntriesTable;
  rollouts: RolloutsTable;
  audit: AuditTable;
  settings: SettingsTable;
  replicas: ReplicasTable;
  fleet_schema: SchemaTable;
}
