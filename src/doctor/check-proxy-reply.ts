/**
 * The reply devices get from the proxy, judged on its bytes (device-contract.md §2): status 200, one
 * `Content-Length` spelled exactly so and equal to the body, no chunking or compression, few headers, and a
 * body well under the 8 KiB at which v1.9/v2.x clients deadlock.
 */
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import { judgeDeviceFrame } from '../http-wire/device-frame.js';
import type { RawResponse } from '../http-wire/response-reader.js';
import { preview } from './check-upstream.js';
import { finding, type Finding } from './findings.js';
import type { RawExchange } from './raw-http.js';
import { readReply, type ReplyReadout } from './reply-readout.js';

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
  findings.push(framingFinding(response, result.broken));
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

function framingFinding(response: RawResponse, broken: string | null): Finding {
  // The status has its own finding (proxy.reply); the frame is what is left of docs/device-contract.md §2.
  const violations = judgeDeviceFrame(response).filter((v) => !v.rule.startsWith('status-'));
  const problems = [
    ...(broken === null ? [] : [`the reply is broken: ${broken}`]),
    ...violations.filter((v) => v.source === 'device-contract').map((v) => v.text),
  ];
  const promises = violations.filter((v) => v.source === 'proxy-promise').map((v) => v.text);
  const facts = `${response.body.length}-byte body, ${response.wireBytes} bytes in all, headers: ${response.headers.map(([n]) => n).join(', ')}`;
  if (problems.length > 0) {
    return finding('proxy.framing', 'proxy', 'fail', 'the reply is framed in a way devices cannot read', {
      detail: [...problems, ...promises, facts],
    });
  }
  if (promises.length > 0) {
    // A proxy or tunnel in front of this one added headers: the 4G modem splits long header blocks.
    return finding('proxy.framing', 'proxy', 'warn', promises.join('; '), {
      detail: [facts],
      fix: 'Something between doctor and the proxy adds headers; keep device replies to Content-Type, Content-Length, Date, Connection.',
    });
  }
  return finding('proxy.framing', 'proxy', 'pass', `framed for devices: ${facts}`);
}
