/** doctor's report for people: a pass/warn/fail line per check, grouped by area, colours only when asked. */
import { AREA_ORDER, type Finding, type FindingArea, type FindingStatus } from './findings.js';
import type { DoctorReport } from './run-doctor.js';

const AREA_TITLES: Readonly<Record<FindingArea, string>> = {
  config: 'Configuration',
  upstream: 'Upstream (asked directly)',
  proxy: 'Through the proxy',
  websocket: 'Voice channel (websocket)',
  mqtt: 'MQTT',
  server_time: 'Clock (server_time)',
  firmware: 'Firmware offer',
  catalog: 'Firmware catalog',
};

const LABELS: Readonly<Record<FindingStatus, string>> = {
  pass: 'PASS',
  warn: 'WARN',
  fail: 'FAIL',
  info: 'INFO',
  skip: 'SKIP',
};

/** ANSI SGR codes per status. */
const COLOURS: Readonly<Record<FindingStatus, string>> = {
  pass: '32',
  warn: '33',
  fail: '31',
  info: '36',
  skip: '2',
};

export function renderText(report: DoctorReport, { color = false }: { color?: boolean } = {}): string {
  const paint = (code: string, text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines: string[] = [];
  const { device } = report;
  lines.push(paint('1', 'xiaozhi-ota-proxy doctor'));
  lines.push(`  device   ${device.board}/${device.version} (${device.chip}), Device-Id ${device.deviceId}`);
  lines.push(`  upstream ${report.upstream.url}`);
  lines.push(`  proxy    ${report.proxy.url}, as devices reach it: Host ${report.deviceHost}`);
  for (const area of AREA_ORDER) {
    const group = report.findings.filter((f) => f.area === area);
    if (group.length === 0) continue;
    lines.push('', paint('1', AREA_TITLES[area]));
    for (const f of group) lines.push(...renderFinding(f, paint));
  }
  const { counts } = report;
  lines.push('');
  const summary = `${counts.pass} passed, ${counts.warn} warning${counts.warn === 1 ? '' : 's'}, ${counts.fail} failed`;
  lines.push(
    report.ok
      ? paint('32;1', `OK: ${summary}. Nothing found that would stop a device.`)
      : paint('31;1', `NOT OK: ${summary}. Devices would be stopped by the failures above.`),
  );
  return `${lines.join('\n')}\n`;
}

function renderFinding(f: Finding, paint: (code: string, text: string) => string): string[] {
  const out = [`  ${paint(COLOURS[f.status], LABELS[f.status].padEnd(4))}  ${f.title}`];
  for (const line of f.detail ?? []) out.push(`        ${paint('2', line)}`);
  if (f.fix !== undefined) out.push(`        ${paint(COLOURS[f.status], '→')} ${f.fix}`);
  return out;
}
