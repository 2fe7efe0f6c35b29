/**
 * The floor of the fleet's store work per new device, beside the boot storm: what SQLite alone costs for
 * the two rows the fleet contract cannot do without — the device (the inventory) and its attempt (the fate
 * of the update it was offered) — written as plainly as SQLite allows: the store's own schema (its
 * migrations, via `sqliteStore`) and pragmas (`openDatabase`), raw better-sqlite3 multi-row inserts
 * prepared once, 100 devices per transaction, the rows built before the clock starts. No fleet code runs
 * in the timed part.
 *
 * The storm's target is the fleet within 15 % of the fleet-off CPU per check; a floor above that budget
 * means no change to the fleet's own code can meet it with a row per device on SQLite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase, sqliteStore } from '../src/fleet/store/sqlite.js';

export interface StoreFloor {
  readonly devices: number;
  /** Process CPU per device, µs: the device row alone. */
  readonly deviceMicros: number;
  /** The device row and an open attempt. */
  readonly deviceAndAttemptMicros: number;
}

/** Devices per transaction, as a flush of new devices writes them (its chunks are at most 200). */
const PER_TRANSACTION = 100;

/** Measures both floors, each on a fresh database file in a temporary folder (removed after). */
export async function measureStoreFloor(
  devices: number,
  perTransaction: number = PER_TRANSACTION,
): Promise<StoreFloor> {
  if (!(devices >= perTransaction && perTransaction >= 1))
    throw new Error(`store floor: ${devices} devices cannot fill transactions of ${perTransaction}`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-floor-'));
  try {
    const deviceMicros = await timeInserts(join(dir, 'devices.db'), devices, false, perTransaction);
    const deviceAndAttemptMicros = await timeInserts(join(dir, 'both.db'), devices, true, perTransaction);
    return { devices, deviceMicros, deviceAndAttemptMicros };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Column {
  readonly name: string;
  readonly notnull: number;
  readonly dflt_value: unknown;
}

async function timeInserts(
  file: string,
  devices: number,
  withAttempt: boolean,
  perTransaction: number,
): Promise<number> {
  // The schema and pragmas as the proxy's store makes them.
  const store = sqliteStore(file);
  await store.migrate();
  await store.close();
  const db = openDatabase(file);
  try {
    const now = Date.now();
    const exchange = JSON.stringify({
      upstream: { status: 200, bytes: 412 },
      device: { status: 200, bytes: 438 },
      rules: ['rewrite', 'websocket'],
    });
    const deviceRow = (j: number, id: string): Record<string, unknown> => ({
      id,
      board: 'bread-compact-wifi',
      board_type: 'bread-compact-wifi',
      chip: 'esp32s3',
      version: '1.6.0',
      ota_label: 'ota_0',
      slot_ota0: 4_128_768,
      slot_ota1: 4_128_768,
      flash_size: 16_777_216,
      language: 'zh-CN',
      first_seen: now + j,
      last_seen: now + j,
      last_address: `10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}`,
      checks: 1,
      last_status: 200,
      last_outcome: 'rewritten',
      transport: 'websocket',
      voice_online: 0,
      activation_pending: 0,
      last_exchange: exchange,
      attempt_state: 'offered',
      folded_to: now + j,
    });
    const attemptRow = (j: number, id: string): Record<string, unknown> => ({
      id: `floor:${j}`,
      device: id,
      entry_id: 'bread-compact-wifi@2.0.0',
      board: 'bread-compact-wifi',
      from_version: '1.6.0',
      to_version: '2.0.0',
      file: 'bread-compact-wifi-2.0.0.bin',
      forced: 0,
      url_kind: 'proxy',
      number: 1,
      offered_at: now + j,
      offered_by: 'floor',
      activation: 0,
      download_bytes: 0,
      reported_to_version: 0,
      last_check_at: now + j,
      last_event_at: now + j,
      state: 'offered',
      counted: 0,
      changed_at: now + j,
    });
    const tables = [{ table: 'devices', row: deviceRow }];
    if (withAttempt) tables.push({ table: 'attempts', row: attemptRow });
    const plans = tables.map(({ table, row }) => {
      const columns = db.pragma(`table_info(${table})`) as Column[];
      const values = `(${columns.map(() => '?').join(',')})`;
      const statement = db.prepare(
        `insert into ${table} (${columns.map((c) => c.name).join(',')}) values ${Array(perTransaction).fill(values).join(',')}`,
      );
      return { table, row, columns, statement };
    });
    // Every argument built before the clock starts; ids spread like MAC addresses (no index's order).
    const batches: unknown[][][] = [];
    for (let i = 0; i + perTransaction <= devices; i += perTransaction) {
      const perTable = plans.map(() => [] as unknown[]);
      for (let j = i; j < i + perTransaction; j++) {
        const n = Math.imul(j, 2_654_435_761) >>> 0;
        const id = `02:00:${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
          .map((b) => b.toString(16).padStart(2, '0'))
          .join(':')}`;
        plans.forEach(({ table, row, columns }, t) => {
          const values = row(j, id);
          for (const column of columns) {
            const value = values[column.name];
            if (value === undefined && column.notnull === 1 && column.dflt_value === null)
              throw new Error(`store floor: no value for ${table}.${column.name} (the schema changed)`);
            perTable[t]?.push(value ?? null);
          }
        });
      }
      batches.push(perTable);
    }
    const began = process.cpuUsage();
    for (const perTable of batches) {
      db.exec('begin immediate');
      plans.forEach(({ statement }, t) => statement.run(...(perTable[t] ?? [])));
      db.exec('commit');
    }
    const used = process.cpuUsage(began);
    return (used.user + used.system) / (batches.length * perTransaction);
  } finally {
    db.close();
  }
}

// Run alone: `npx tsx bench/store-floor.ts [--devices 100000] [--per-transaction 100]`.
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { values } = parseArgs({
    options: { devices: { type: 'string', default: '100000' }, 'per-transaction': { type: 'string' } },
  });
  const devices = Number(values.devices);
  const perTransaction = Number(values['per-transaction'] ?? PER_TRANSACTION);
  const floor = await measureStoreFloor(devices, perTransaction);
  console.log(
    `store floor, ${devices} new devices, ${perTransaction} per transaction: ` +
      `${floor.deviceMicros.toFixed(1)} µs CPU per device row, ${floor.deviceAndAttemptMicros.toFixed(1)} with its attempt`,
  );
}
