/**
 * The reply devices get from the proxy, judged on its bytes (docs/device-contract.md §2): status 200, one
 * `Content-Length` spelled exactly so and equal to the body, no chunking or compression, few headers, and a
 * body well under the 8 KiB at which v1.9/v2.x clients deadlock.
 */
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import { judgeDeviceFrame } from '../http-wire/device-frame.js';
import type { RawResponse } from '../http-wire/response-reader.js';
import type { Translate } from '../i18n/translate.js';
import { preview } from './check-upstream.js';
import { finding, type Finding } from './findings.js';
import { describeFrameViolation } from './frame-text.js';
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
  { where, record, t }: { where: string; record: ExchangeRecord | null; t: Translate },
): ProxyCheck {
  if (result.kind === 'failure') {
    return {
      findings: [
        finding(
          'proxy.reachable',
          'proxy',
          'fail',
          t('doctor.proxy.unreachable', { where, failure: result.failure }),
          {
            detail: [`${result.code}: ${result.message}`],
            fix: t('doctor.proxy.unreachable.fix'),
          },
        ),
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
      t('doctor.proxy.reachable', { where, status: response.status, ms: Math.round(result.ms) }),
    ),
  ];
  findings.push(replyFinding(reply, record, t));
  findings.push(framingFinding(response, result.broken, t));
  if (record !== null && (record.rules.length > 0 || record.repairs.length > 0 || record.notes.length > 0)) {
    findings.push(
      finding('proxy.rules', 'proxy', record.repairs.length > 0 ? 'warn' : 'info', describeRules(record, t), {
        detail: [
          ...(record.rules.length > 0
            ? [t('doctor.proxy.rules.applied', { rules: record.rules.join(', ') })]
            : []),
          ...record.notes.map((note) => t('doctor.note', { note })),
          ...record.repairs.map((repair) => t('doctor.proxy.rules.repair', { repair })),
        ],
        ...(record.repairs.length > 0 ? { fix: t('doctor.proxy.rules.repair.fix') } : {}),
      }),
    );
  }
  return { findings, reply };
}

function describeRules(record: ExchangeRecord, t: Translate): string {
  if (record.repairs.length > 0) return t('doctor.proxy.rules.repaired', { count: record.repairs.length });
  if (record.rules.length > 0) return t('doctor.proxy.rules.changed', { rules: record.rules.join(', ') });
  return t('doctor.proxy.rules.unchanged');
}

function replyFinding(reply: ReplyReadout, record: ExchangeRecord | null, t: Translate): Finding {
  const fallbackNote =
    record?.outcome === 'fallback'
      ? [t('doctor.proxy.reply.fallback-note', { notes: record.notes.join('; ') })]
      : [];
  if (reply.status !== 200) {
    return finding('proxy.reply', 'proxy', 'fail', t('doctor.proxy.reply.status', { status: reply.status }), {
      detail: [preview(reply.text, t), ...(record?.notes ?? []).map((note) => t('doctor.note', { note }))],
      fix: reply.status === 502 || reply.status === 504 ? t('doctor.proxy.reply.status.fix') : undefined,
    });
  }
  if (reply.shape !== 'sections') {
    return finding('proxy.reply', 'proxy', 'fail', t('doctor.proxy.reply.no-sections'), {
      detail: [preview(reply.text, t)],
      fix: t('doctor.proxy.reply.no-sections.fix'),
    });
  }
  if (record?.outcome === 'fallback') {
    return finding('proxy.reply', 'proxy', 'warn', t('doctor.proxy.reply.fallback'), {
      detail: fallbackNote,
    });
  }
  return finding(
    'proxy.reply',
    'proxy',
    'pass',
    t('doctor.proxy.reply.ok', { keys: Object.keys(reply.body ?? {}).join(', ') }),
  );
}

function framingFinding(response: RawResponse, broken: string | null, t: Translate): Finding {
  // The status has its own finding (proxy.reply); the frame is what is left of docs/device-contract.md §2.
  const violations = judgeDeviceFrame(response).filter((v) => !v.rule.startsWith('status-'));
  const problems = [
    ...(broken === null ? [] : [t('doctor.broken-reply', { reason: broken })]),
    ...violations
      .filter((v) => v.source === 'device-contract')
      .map((v) => describeFrameViolation(v, response, t)),
  ];
  const promises = violations
    .filter((v) => v.source === 'proxy-promise')
    .map((v) => describeFrameViolation(v, response, t));
  const facts = t('doctor.proxy.framing.facts', {
    body: response.body.length,
    wire: response.wireBytes,
    headers: response.headers.map(([n]) => n).join(', '),
  });
  if (problems.length > 0) {
    return finding('proxy.framing', 'proxy', 'fail', t('doctor.proxy.framing.broken'), {
      detail: [...problems, ...promises, facts],
    });
  }
  if (promises.length > 0) {
    // A proxy or tunnel in front of this one added headers: the 4G modem splits long header blocks.
    return finding('proxy.framing', 'proxy', 'warn', promises.join('; '), {
      detail: [facts],
      fix: t('doctor.proxy.framing.extra.fix'),
    });
  }
  return finding('proxy.framing', 'proxy', 'pass', t('doctor.proxy.framing.ok', { facts }));
}
