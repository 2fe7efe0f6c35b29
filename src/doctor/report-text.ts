/** doctor's report for people: a pass/warn/fail line per check, grouped by area, colours only when asked. */
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages.js';
import { translator, type Translate } from '../i18n/translate.js';
import { AREA_ORDER, type Finding, type FindingStatus } from './findings.js';
import type { DoctorReport } from './run-doctor.js';

/** ANSI SGR codes per status. */
const COLOURS: Readonly<Record<FindingStatus, string>> = {
  pass: '32',
  warn: '33',
  fail: '31',
  info: '36',
  skip: '2',
};

/** How run-doctor.ts marks the in-process proxy's URL (the JSON keeps it; the text says it per language). */
const IN_PROCESS_SUFFIX = ' (in-process)';

export function renderText(
  report: DoctorReport,
  { color = false, lang = DEFAULT_LANGUAGE }: { color?: boolean; lang?: Language } = {},
): string {
  const t = translator(lang);
  const paint = (code: string, text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines: string[] = [];
  const { device } = report;
  lines.push(paint('1', t('doctor.report.title')));
  lines.push(t('doctor.report.device', device));
  lines.push(t('doctor.report.upstream', { url: report.upstream.url }));
  const { url } = report.proxy;
  lines.push(
    report.proxy.mode === 'in-process' && url.endsWith(IN_PROCESS_SUFFIX)
      ? t('doctor.report.proxy-in-process', {
          url: url.slice(0, -IN_PROCESS_SUFFIX.length),
          host: report.deviceHost,
        })
      : t('doctor.report.proxy', { url, host: report.deviceHost }),
  );
  for (const area of AREA_ORDER) {
    const group = report.findings.filter((f) => f.area === area);
    if (group.length === 0) continue;
    lines.push('', paint('1', t(`doctor.report.area.${area}`)));
    for (const f of group) lines.push(...renderFinding(f, paint, t));
  }
  const { counts } = report;
  lines.push('');
  const summary = t('doctor.report.summary', {
    pass: counts.pass,
    warnings: t('doctor.report.warnings', { count: counts.warn }),
    fail: counts.fail,
  });
  lines.push(
    report.ok
      ? paint('32;1', t('doctor.report.ok', { summary }))
      : paint('31;1', t('doctor.report.not-ok', { summary })),
  );
  return `${lines.join('\n')}\n`;
}

function renderFinding(f: Finding, paint: (code: string, text: string) => string, t: Translate): string[] {
  const label = t(`doctor.report.status.${f.status}`);
  // Labels fill four terminal columns (`PASS`, `通过`), so titles line up with the detail lines below.
  const padded = `${label}${' '.repeat(Math.max(0, 4 - columns(label)))}`;
  const out = [`  ${paint(COLOURS[f.status], padded)}  ${f.title}`];
  for (const line of f.detail ?? []) out.push(`        ${paint('2', line)}`);
  if (f.fix !== undefined) out.push(`        ${paint(COLOURS[f.status], '→')} ${f.fix}`);
  return out;
}

/** Terminal columns of a short label: CJK characters take two. */
function columns(text: string): number {
  let width = 0;
  for (const char of text)
    width +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(
        char,
      )
        ? 2
        : 1;
  return width;
}
