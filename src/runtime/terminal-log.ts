/**
 * How log records read on a terminal (`log.pretty`): one line per record, written for the person watching
 * `npm start`. A check is one sentence — device, version, outcome, what changed, the offer — and a
 * fallback says that the server was not what answered, and why. A failure is one line naming its kind:
 * no stack trace for a refused connection or a timeout, which are the network's doing, not a bug (a
 * stack is printed only for an error that is not one of those: a bug to report).
 *
 * Only the formatting differs: the records are the same objects the JSON lines carry (pino builds them,
 * this module reads them back), so JSON output is untouched.
 */
import { writeSync } from 'node:fs';
import { isUnreached } from '../gateway/upstream-failure.js';

type Fields = Record<string, unknown>;

/** pino's numeric levels, as words of one width. */
const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

/** ANSI colours for the level word when colour is on (warn yellow, error and fatal red, debug grey). */
const COLOURS: Readonly<Record<number, string>> = { 10: '90', 20: '90', 40: '33', 50: '31', 60: '31' };

/** Keys every record has, shown elsewhere in the line or not at all. */
const FRAME_KEYS = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname', 'component']);

export interface TerminalFormat {
  /** Colour the level word (a terminal that shows ANSI colours). */
  readonly colour: boolean;
}

/** One record (as pino serialised it) → the line a person reads, newline included. */
export function formatRecord(record: Fields, { colour }: TerminalFormat): string {
  const level = typeof record.level === 'number' ? record.level : 30;
  const word = LEVELS[level] ?? String(level);
  const tag = colour && COLOURS[level] ? `\u001b[${COLOURS[level]}m${word}\u001b[0m` : word;
  const component = typeof record.component === 'string' ? `[${record.component}] ` : '';
  const msg = typeof record.msg === 'string' ? record.msg : '';
  const body = isExchangeLine(msg, record)
    ? exchangeLine(msg, record)
    : msg === 'listening' && typeof record.address === 'string'
      ? startLine(record)
      : genericLine(msg, record);
  const stack = stackOf(record.err);
  return `${clock(record.time)} ${tag} ${component}${body}\n${stack === null ? '' : indent(stack)}`;
}

/** A pino destination that writes `formatRecord` lines to a file descriptor (1 = stdout). */
export function terminalDestination(fd: number, format: TerminalFormat): { write(line: string): void } {
  return {
    write(line: string): void {
      let text: string;
      try {
        text = formatRecord(JSON.parse(line) as Fields, format);
      } catch {
        text = line;
      }
      try {
        writeSync(fd, text);
      } catch {
        // The terminal is gone (EIO after a hang-up) or full: a log line is not worth failing a request or
        // the shutdown the hang-up started (cli.ts ends the process when its terminal goes away).
      }
    },
  };
}

/** `12:03:07.412` in local time, from pino's ISO timestamp. */
function clock(time: unknown): string {
  const at = typeof time === 'string' || typeof time === 'number' ? new Date(time) : null;
  if (at === null || Number.isNaN(at.getTime())) return '--:--:--.---';
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function isExchangeLine(msg: string, record: Fields): boolean {
  return /^ota (check|get|activate|download)$/.test(msg) && typeof record.outcome === 'string';
}

interface ExchangeFields {
  readonly device?: { id?: string | null; board?: string | null; version?: string | null };
  readonly client?: string;
  readonly path?: string;
  readonly upstream?: { status: number | null; ms: number; failure: string | null } | null;
  readonly outcome: string;
  readonly status?: number;
  readonly rules?: readonly string[];
  readonly notes?: readonly string[];
  readonly repairs?: readonly string[];
  readonly firmware?: { offered: string | null; reason: string | null } | null;
  readonly err?: { message?: string; code?: string };
}

/**
 * `check 7c:df:a1:00:00:01 bread-compact-wifi 1.6.0 from 192.168.1.20 → rewritten (websocket-url) ·
 * offered 1.7.0 (xiaozhi-1.7.0.bin) · upstream 200 in 12 ms`
 */
function exchangeLine(msg: string, record: Fields): string {
  const x = record as unknown as ExchangeFields;
  const kind = msg.slice('ota '.length);
  const device = [x.device?.id ?? 'unknown device', x.device?.board, x.device?.version]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join(' ');
  const parts = [`${kind} ${device}${x.client ? ` from ${x.client}` : ''} → ${outcomeText(x)}`];
  const changed = (x.rules ?? []).filter((rule) => rule !== 'fallback');
  if (x.outcome !== 'fallback' && x.outcome !== 'passthrough' && changed.length > 0)
    parts.push(`changed: ${changed.join(', ')}`);
  if ((x.repairs ?? []).length > 0) parts.push(`repaired: ${(x.repairs ?? []).join(', ')}`);
  const notes = (x.notes ?? []).filter((note) => !note.startsWith('upstream '));
  if (notes.length > 0) parts.push(`notes: ${notes.join('; ')}`);
  if (x.firmware) {
    if (x.firmware.offered !== null) parts.push(`offered ${x.firmware.offered}`);
    else if (x.firmware.reason !== null) parts.push(`no offer (${x.firmware.reason})`);
  }
  if (x.upstream && x.upstream.status !== null)
    parts.push(`upstream ${x.upstream.status} in ${Math.round(x.upstream.ms)} ms`);
  return parts.join(' · ');
}

function outcomeText(x: ExchangeFields): string {
  const failure = x.upstream?.failure ?? null;
  const status = x.status === undefined ? '' : ` ${x.status}`;
  switch (x.outcome) {
    case 'rewritten':
      return `rewritten${status}`;
    case 'passthrough':
      return `passed through unchanged${status}`;
    case 'rejected':
      return `rejected${status}`;
    case 'fallback':
      return `FALLBACK${status}: ${whyNoUpstream(failure, x)}; the proxy answered on its own, the server was not reached`;
    case 'failed':
      return `FAILED${status}: ${whyNoUpstream(failure, x)}`;
    default:
      return `${x.outcome}${status}`;
  }
}

/** Why the upstream's reply could not be used, in words: unreachable, not asked, or unusable. */
function whyNoUpstream(failure: string | null, x: ExchangeFields): string {
  if (failure === 'breaker-open')
    return 'the upstream is unreachable (it failed repeatedly, so it was not asked: breaker open)';
  if (failure !== null && isUnreached(failure)) {
    const detail = errorText(x.err, { code: false });
    return `the upstream is unreachable (${failure}${detail === '' ? '' : `: ${detail}`})`;
  }
  if (failure !== null) {
    const status = x.upstream?.status;
    return `the upstream's reply was unusable (${failure}${typeof status === 'number' ? `, status ${status}` : ''})`;
  }
  return 'no usable upstream reply';
}

/**
 * `listening on 0.0.0.0:8003 (all interfaces) · upstream http://127.0.0.1:8002 · voice upstream: none ·
 * admin: off · catalog: 2 entries in /srv/firmware · config /srv/proxy.yaml`
 */
function startLine(record: Fields): string {
  const address = String(record.address);
  const wildcard = /^(0\.0\.0\.0|\[::\]):/.test(address);
  const adminRoutes = record.adminRoutes;
  const admin =
    adminRoutes === 'off' || adminRoutes === undefined
      ? 'off (set admin.token to turn it on)'
      : typeof record.admin === 'string'
        ? `on at ${record.admin}`
        : `on at ${String(record.url)}/admin/`;
  const catalog = record.catalog as { dir: string; entries: number; skipped: number } | null | undefined;
  const catalogText =
    catalog === null || catalog === undefined
      ? 'none (firmware.dir not set)'
      : `${catalog.entries} ${catalog.entries === 1 ? 'entry' : 'entries'}${catalog.skipped > 0 ? ` (${catalog.skipped} skipped)` : ''} in ${catalog.dir}`;
  return [
    `listening on ${address}${wildcard ? ` (all interfaces; this host: ${String(record.url)})` : ''}`,
    `upstream ${String(record.upstream)}`,
    `voice upstream: ${typeof record.voiceUpstream === 'string' ? record.voiceUpstream : 'none'}`,
    `admin: ${admin}`,
    `catalog: ${catalogText}`,
    `config ${String(record.config)}`,
  ].join(' · ');
}

/** `msg key=value …`, an error as `err: <message>` (its stack, if any, on the lines below). */
function genericLine(msg: string, record: Fields): string {
  const parts: string[] = msg === '' ? [] : [msg];
  for (const [key, value] of Object.entries(record)) {
    if (FRAME_KEYS.has(key) || value === undefined) continue;
    if (key === 'err') {
      const text = errorText(value);
      if (text !== '') parts.push(`err: ${text}`);
      continue;
    }
    parts.push(`${key}=${valueText(value)}`);
  }
  return parts.join(' ');
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

/**
 * An error's message on one line. pino's serializer appends each cause's message (`…: connect
 * ECONNREFUSED 127.0.0.1:8002: connect ECONNREFUSED 127.0.0.1:8002`); a repeated tail is said once.
 */
function errorText(err: unknown, { code: withCode = true } = {}): string {
  if (err === null || typeof err !== 'object') return err === undefined ? '' : String(err);
  const { message, code } = err as { message?: unknown; code?: unknown };
  let text = typeof message === 'string' ? message : '';
  for (let cut = text.indexOf(': '); cut >= 0; cut = text.indexOf(': ', cut + 2)) {
    const head = text.slice(0, cut);
    const tail = text.slice(cut + 2);
    if (tail !== '' && head.endsWith(tail)) {
      text = head;
      break;
    }
  }
  text = text.replace(/\s*\n\s*/g, ' ');
  if (withCode && typeof code === 'string' && code !== '' && !text.includes(code)) text = `${text} (${code})`;
  return text;
}

/**
 * The stack of an error that is not an expected operational failure: a system error code (`ECONNREFUSED`,
 * `EADDRINUSE` …), one of ours with a stable code (`UPSTREAM_UNREACHABLE`) or an upstream failure kind
 * says what happened on its own; anything else is a bug whose stack the reader needs.
 */
function stackOf(err: unknown): string | null {
  if (err === null || typeof err !== 'object') return null;
  const { stack, code, failure } = err as { stack?: unknown; code?: unknown; failure?: unknown };
  if (typeof stack !== 'string') return null;
  if (typeof failure === 'string') return null;
  // Node's own `ERR_…` codes (ERR_INVALID_ARG_TYPE) are programming errors: their stack is kept.
  if (
    typeof code === 'string' &&
    !code.startsWith('ERR_') &&
    /^(E[A-Z0-9]+|[A-Z][A-Z0-9]*(_\w+)+)$/.test(code)
  )
    return null;
  const below = stack.split('\n').slice(1).join('\n');
  return below === '' ? null : below;
}

function indent(text: string): string {
  return `${text
    .split('\n')
    .map((line) => `    ${line.trim()}`)
    .join('\n')}\n`;
}
