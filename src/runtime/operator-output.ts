/**
 * The operator commands' human output: aligned tables and one-line confirmations from the API's shapes
 * (`--json` prints the shapes themselves). Device data is printed as text, never interpreted: control
 * characters a device put in its board name are shown escaped, so they cannot move the terminal's cursor.
 */
import type { AttemptJson } from '../fleet/api-shapes.js';
import type { RolloutFigures } from '../fleet/rollout-figures.js';
import type { UploadJson } from '../operations/firmware-upload.js';
import type { CatalogJson, DeviceDetailJson, DevicePageJson } from '../operations/operations.js';

/** Columns padded to their widest cell; the last column is not padded. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [head, ...rows].map((row) => row.map(printable));
  const widths = head.map((_, i) => Math.max(...cells.map((row) => width(row[i] ?? ''))));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export function uploadLine(result: UploadJson): string {
  const e = result.entry;
  const what = `${e.board} ${e.version} (${e.chip ?? 'unknown chip'}, ${e.size} bytes) as ${e.file}, entry ${e.entry_id}, rollout ${e.rollout}%${e.force ? ', pinned (force)' : ''}`;
  return result.dry_run
    ? `would add ${what}\nnothing was written (--dry-run)\n`
    : `added ${what}\nthe catalog reloads in a running proxy by itself\n`;
}

export function catalogTable(catalog: CatalogJson, rollouts: readonly RolloutFigures[] | null): string {
  const halted = new Map((rollouts ?? []).map((r) => [r.entry_id, r.halted]));
  const rows = catalog.entries.map((e) => [
    e.entry_id ?? '-',
    e.board ?? '?',
    e.version ?? '?',
    e.file ?? '?',
    e.chip ?? '-',
    e.rollout === null ? '-' : `${e.rollout}%`,
    rollouts === null ? 'fleet off' : halted.get(e.entry_id ?? '') ? 'halted' : 'no',
    e.check === 'ok' ? 'ok' : `skipped: ${e.problems.join('; ')}`,
  ]);
  const head = ['ENTRY_ID', 'BOARD', 'VERSION', 'FILE', 'CHIP', 'ROLLOUT', 'HALTED', 'CHECK'];
  const problems = catalog.problems.map((p) => `catalog.yaml cannot be used: ${p}\n`).join('');
  return rows.length === 0 ? `${problems}the catalog has no entries\n` : `${problems}${table(head, rows)}`;
}

export function rolloutLine(
  done: 'halted' | 'resumed',
  result: RolloutFigures | { readonly entry_id: string },
): string {
  if (!('board' in result)) return `${done} ${result.entry_id} (no longer in the catalog)\n`;
  const failed = Object.entries(result.failed)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${done} ${result.board} ${result.version} (${result.entry_id})\n${table(
    ['ELIGIBLE', 'ON_VERSION', 'OFFERED', 'DOWNLOADING', 'DOWNLOADED', 'INSTALLED', 'FAILED', 'SILENT'],
    [
      [
        String(result.eligible),
        String(result.on_version),
        String(result.offered),
        String(result.downloading),
        String(result.downloaded),
        String(result.installed),
        `${result.failed.total}${failed === '' ? '' : ` (${failed})`}`,
        String(result.silent),
      ],
    ],
  )}`;
}

export function devicePage(page: DevicePageJson, now: number): string {
  const rows = page.items.map((d) => [
    d.id,
    d.board ?? '-',
    d.version ?? '-',
    d.chip ?? '-',
    ago(d.last_seen, now),
    d.last_address ?? '-',
    d.state ?? '-',
    d.blocked.length === 0 ? '-' : d.blocked.map((b) => `${b.board} ${b.version}`).join(', '),
  ]);
  const head = ['ID', 'BOARD', 'VERSION', 'CHIP', 'LAST_SEEN', 'ADDRESS', 'UPDATE', 'BLOCKED'];
  const footer = `${page.items.length} of ${page.total} device${page.total === 1 ? '' : 's'}${page.next === null ? '' : `; next page: --cursor ${page.next}`}\n`;
  return `${rows.length === 0 ? '' : table(head, rows)}${footer}`;
}

export function deviceDetail({ device, attempts }: DeviceDetailJson, now: number): string {
  const facts: [string, string][] = [
    ['id', device.id],
    ['board', `${device.board ?? '-'} (${device.board_type ?? '-'})`],
    ['chip', device.chip ?? '-'],
    ['version', `${device.version ?? '-'} on ${device.ota_label ?? '-'}`],
    ['first seen', stamp(device.first_seen)],
    [
      'last seen',
      `${stamp(device.last_seen)} (${ago(device.last_seen, now)}) from ${device.last_address ?? '-'}`,
    ],
    ['checks', String(device.checks)],
    ['last answer', `${device.last_status ?? '-'} ${device.last_outcome ?? ''}`.trim()],
    ['transport', device.transport ?? '-'],
    [
      'voice',
      device.voice_online
        ? 'online'
        : device.voice_last_seen === null
          ? '-'
          : `last ${stamp(device.voice_last_seen)}`,
    ],
    ['activation pending', device.activation_pending ? 'yes' : 'no'],
    [
      'blocked',
      device.blocked.length === 0
        ? 'no'
        : device.blocked
            .map(
              (b) =>
                `${b.board} ${b.version} (${b.entry_id}): failed ${b.failures} times (${b.reason ?? '-'})`,
            )
            .join('; '),
    ],
  ];
  const pad = Math.max(...facts.map(([k]) => k.length)) + 2;
  const head = facts.map(([k, v]) => `${`${k}:`.padEnd(pad)}${printable(v)}\n`).join('');
  return `${head}\n${attemptsTable(attempts)}`;
}

function attemptsTable(attempts: readonly AttemptJson[]): string {
  if (attempts.length === 0) return 'no update attempts\n';
  return table(
    ['OFFERED', 'ENTRY_ID', 'FROM', 'TO', '#', 'STATE', 'REASON', 'DOWNLOADED'],
    attempts.map((a) => [
      stamp(a.offered_at),
      a.entry_id,
      a.from_version,
      a.to_version,
      String(a.number),
      a.state,
      a.reason ?? '-',
      a.download_completed_at !== null
        ? `${a.download_bytes} bytes`
        : a.download_started_at !== null
          ? `${a.download_bytes} bytes (cut)`
          : '-',
    ]),
  );
}

export function unblockLine(done: { readonly device: string; readonly cleared: readonly string[] }): string {
  return done.cleared.length === 0
    ? `${done.device}: nothing to clear\n`
    : `${done.device}: cleared ${done.cleared.join(', ')}; the count starts again\n`;
}

export function auditTable(items: readonly unknown[]): string {
  const rows = (
    items as { at: number; action: string; target: string; means: string; address: string | null }[]
  ).map((i) => [stamp(i.at), i.action, i.target, i.means, i.address ?? '-']);
  return rows.length === 0 ? 'no audit records\n' : table(['WHEN', 'WHAT', 'TARGET', 'BY', 'ADDRESS'], rows);
}

function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** Control characters (C0, DEL, C1) shown as `\xNN`: a device's board name must not drive the terminal. */
function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Display width: CJK and full-width characters take two columns. */
function width(text: string): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    w +=
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6)
        ? 2
        : 1;
  }
  return w;
}
