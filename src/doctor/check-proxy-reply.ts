/**
 * The reply devices get from the proxy, judged on its bytes (device-contract.md §2): status 200, one
 * `Content-Length` spelled exactly so and equal to the body, no chunking or compression, few headers, and a
 * body well under the 8 KiB at which v1.9/v2.x clients deadlock.
 */
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import { MAX_REPLY_BYTES } from '../rewrite/serialize.js';
import { preview } from './check-upstream.js';
import { finding, type Finding } from './findings.js';
import { headerValues, type HttpResponse } from './http-message.js';
import type { RawExchange } from './raw-http.js';
import { readReply, type ReplyReadout } from './reply-readout.js';

/** Devices read the response into buffers; v1.9/v2.x deadlock once 8 KiB is buffered (device-contract.md §2). */
const MAX_RESPONSE_BYTES = 8192;
/** The only headers a device-facing reply carries (CONFIG.md "Framing and paths"). */
const DEVICE_HEADERS = new Set(['content-type', 'content-length', 'date', 'connection']);

export interface ProxyCheck {
  readonly findings: Finding[];
  readonly reply: ReplyReadout | null;
}

/**
 * Judges the proxy's answer to doctor's check. `record` is the in-process proxy's own account of the
 * exchange (rules, repairs, fallback), `null` when a running proxy was asked.
 */
export function checkProxyReply(
  result: RawExchange,
  { where, record }: { where: string; record: ExchangeRecord | null },
): ProxyCheck {
  if (result.kind === 'failure') {
    return {
      findings: [
        finding('proxy.reachable', 'proxy', 'fail', `${where} does not answer (${result.failure})`, {
          detail: [`${result.code}: ${result.message}`],
          fix: 'Is it running, and listening where `listen` says? (`--proxy` names the URL doctor uses.)',
        }),
      ],
      reply: null,
    };
  }
  const { response } = result;
  const reply = readReply(response);
  const findings: Finding[] = [
    finding(
      'proxy.reachable',
      'proxy',
      'pass',
      `${where} answers (${response.status}, ${Math.round(result.ms)} ms)`,
    ),
  ];
  findings.push(replyFinding(reply, record));
  findings.push(framingFinding(response, result.bytes));
  if (record !== null && (record.rules.length > 0 || record.repairs.length > 0 || record.notes.length > 0)) {
    findings.push(
      finding('proxy.rules', 'proxy', record.repairs.length > 0 ? 'warn' : 'info', describeRules(record), {
        detail: [
          ...(record.rules.length > 0 ? [`rules applied: ${record.rules.join(', ')}`] : []),
          ...record.notes.map((n) => `note: ${n}`),
          ...record.repairs.map((r) => `guard repair: ${r}`),
        ],
        ...(record.repairs.length > 0
          ? { fix: 'The guard made the reply safe; fixing the upstream (or the config) removes the need.' }
          : {}),
      }),
    );
  }
  return { findings, reply };
}

function describeRules(record: ExchangeRecord): string {
  if (record.repairs.length > 0)
    return `the device guard repaired the reply (${record.repairs.length} repair${record.repairs.length === 1 ? '' : 's'})`;
  if (record.rules.length > 0) return `the proxy's rules changed the reply: ${record.rules.join(', ')}`;
  return 'the proxy left the reply as the upstream sent it';
}

function replyFinding(reply: ReplyReadout, record: ExchangeRecord | null): Finding {
  const fallbackNote =
    record?.outcome === 'fallback' ? [`answered from the fallback: ${record.notes.join('; ')}`] : [];
  if (reply.status !== 200) {
    return finding(
      'proxy.reply',
      'proxy',
      'fail',
      `devices get status ${reply.status}: they retry, then fall back to stored settings`,
      {
        detail: [preview(reply.text), ...(record?.notes ?? []).map((n) => `note: ${n}`)],
        fix:
          reply.status === 502 || reply.status === 504
            ? 'Make the upstream answer (see above), or set websocket.url so the fallback can name a transport.'
            : undefined,
      },
    );
  }
  if (reply.shape !== 'sections') {
    return finding(
      'proxy.reply',
      'proxy',
      'fail',
      'devices get a 200 without any OTA section: no clock, no transport, no firmware',
      {
        detail: [preview(reply.text)],
        fix: 'The upstream answered with an error body (see the upstream findings).',
      },
    );
  }
  if (record?.outcome === 'fallback') {
    return finding(
      'proxy.reply',
      'proxy',
      'warn',
      'devices get the fallback reply: the upstream failed, the proxy answered for it',
      { detail: fallbackNote },
    );
  }
  return finding(
    'proxy.reply',
    'proxy',
    'pass',
    `devices get an OTA reply (${Object.keys(reply.body ?? {}).join(', ')})`,
  );
}

function framingFinding(response: HttpResponse, totalBytes: number): Finding {
  const problems: string[] = [];
  const lengths = response.headers.filter(([name]) => name.toLowerCase() === 'content-length');
  if (lengths.length === 0)
    problems.push('no Content-Length (firmware ≤ 1.7.6 and the 4G modem client need it)');
  if (lengths.length > 1) problems.push(`${lengths.length} Content-Length headers`);
  const [first] = lengths;
  if (first !== undefined && first[0] !== 'Content-Length')
    problems.push(
      `"${first[0]}" is not spelled Content-Length (the 4G modem client matches it case-sensitively)`,
    );
  if (first !== undefined && Number(first[1]) !== response.body.length)
    problems.push(`Content-Length ${first[1]} but the body is ${response.body.length} bytes`);
  if (response.chunked || headerValues(response.headers, 'transfer-encoding').length > 0)
    problems.push('Transfer-Encoding present (devices mis-read chunked bodies)');
  if (headerValues(response.headers, 'content-encoding').length > 0)
    problems.push('Content-Encoding present (devices cannot decompress)');
  if (response.body.length >= MAX_REPLY_BYTES)
    problems.push(`body ${response.body.length} bytes (must stay under ${MAX_REPLY_BYTES})`);
  if (totalBytes >= MAX_RESPONSE_BYTES)
    problems.push(`response ${totalBytes} bytes (v1.9/v2.x clients deadlock at 8 KiB)`);
  const extra = response.headers
    .map(([name]) => name)
    .filter((name) => !DEVICE_HEADERS.has(name.toLowerCase()));
  const facts = `${response.body.length}-byte body, ${totalBytes} bytes in all, headers: ${response.headers.map(([n]) => n).join(', ')}`;
  if (problems.length > 0) {
    return finding('proxy.framing', 'proxy', 'fail', 'the reply is framed in a way devices cannot read', {
      detail: [...problems, facts],
    });
  }
  if (extra.length > 0) {
    // A proxy or tunnel in front of this one added headers: the 4G modem splits long header blocks.
    return finding('proxy.framing', 'proxy', 'warn', `extra headers in the reply: ${extra.join(', ')}`, {
      detail: [facts],
      fix: 'Something between doctor and the proxy adds headers; keep device replies to Content-Type, Content-Length, Date, Connection.',
    });
  }
  return finding('proxy.framing', 'proxy', 'pass', `framed for devices: ${facts}`);
}
