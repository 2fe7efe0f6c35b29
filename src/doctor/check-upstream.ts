/**
 * The upstream asked directly, as the proxy asks it: is it there, is it the OTA endpoint (port, trailing
 * slash), is its reply an OTA reply, and how is it framed (docs/upstream.md: the Python server 404s without the
 * trailing slash, the Java one answers 200 `{"code":404,…}`; error shapes come with status 200).
 */
import type { Config } from '../config/types.js';
import { judgeDeviceFrame, type FrameRule } from '../http-wire/device-frame.js';
import type { Translate } from '../i18n/translate.js';
import { MAX_REPLY_BYTES } from '../rewrite/serialize.js';
import { finding, type Finding } from './findings.js';
import { describeFrameViolation } from './frame-text.js';
import type { RawExchange } from './raw-http.js';
import { member, readReply, section, type ReplyReadout } from './reply-readout.js';

/** manager-api's answer to a path it does not know (docs/upstream.md), quoted in the report. */
const JAVA_NOT_FOUND = '200 {"code":404}';

export interface UpstreamCheck {
  readonly findings: Finding[];
  /** The reply, when one came. */
  readonly reply: ReplyReadout | null;
}

/** Judges the direct exchange with `upstream.url` + `ota_path`. */
export function checkUpstream(config: Config, result: RawExchange, t: Translate): UpstreamCheck {
  const { target } = config.upstream;
  const where = `${target.href}${config.otaPath}`;
  if (result.kind === 'failure') {
    return { findings: [unreachable(config, result, where, t)], reply: null };
  }
  const { response } = result;
  const reply = readReply(response);
  const findings: Finding[] = [
    finding(
      'upstream.reachable',
      'upstream',
      'pass',
      t('doctor.upstream.reachable', { where, status: response.status, ms: Math.round(result.ms) }),
    ),
  ];
  findings.push(otaPath(config, reply, where, t));
  const shape = replyShape(reply, where, target.port, t);
  if (shape !== null) findings.push(shape);
  findings.push(framing(config, result, reply, t));
  const activation = section(reply.body, 'activation');
  if (activation !== null) {
    const code = member(activation, 'code');
    findings.push(
      finding(
        'upstream.activation',
        'upstream',
        'info',
        typeof code === 'string'
          ? t('doctor.upstream.activation.code', { code })
          : t('doctor.upstream.activation'),
        {
          detail: [t('doctor.upstream.activation.detail'), t('doctor.upstream.activation.detail2')],
        },
      ),
    );
  }
  return { findings, reply };
}

function unreachable(
  config: Config,
  result: Extract<RawExchange, { kind: 'failure' }>,
  where: string,
  t: Translate,
): Finding {
  const { host, port } = config.upstream.target;
  const detail = [`${result.code}: ${result.message}`];
  // manager-api and the Python server's HTTP ports; 8000 is the voice WebSocket (docs/upstream.md).
  const hint = t('doctor.upstream.port-hint');
  switch (result.failure) {
    case 'refused':
      return finding('upstream.reachable', 'upstream', 'fail', t('doctor.upstream.refused', { host, port }), {
        detail,
        fix: t('doctor.upstream.check-url.fix', { hint }),
      });
    case 'timeout':
      return finding('upstream.reachable', 'upstream', 'fail', t('doctor.upstream.timeout', { where }), {
        detail,
        fix: t('doctor.upstream.timeout.fix'),
      });
    case 'unreachable':
      return finding(
        'upstream.reachable',
        'upstream',
        'fail',
        t('doctor.upstream.unreachable', { host, code: result.code }),
        { detail, fix: t('doctor.upstream.unreachable.fix', { hint }) },
      );
    default:
      return finding(
        'upstream.reachable',
        'upstream',
        'fail',
        t('doctor.upstream.failed', { where, failure: result.failure }),
        { detail, fix: t('doctor.upstream.failed.fix', { hint }) },
      );
  }
}

/** A 404 on the OTA path: the wrong port, or a path without its trailing slash. */
function otaPath(config: Config, reply: ReplyReadout, where: string, t: Translate): Finding {
  const javaNotFound = reply.shape === 'other-object' && member(reply.body, 'code') === 404;
  if (reply.status === 404 || javaNotFound) {
    return finding(
      'upstream.ota-path',
      'upstream',
      'fail',
      t('doctor.upstream.no-ota-route', {
        path: config.otaPath,
        seen: javaNotFound ? JAVA_NOT_FOUND : '404',
      }),
      {
        detail: [
          t('doctor.upstream.no-ota-route.answered', { where, preview: preview(reply.text, t) }),
          t('doctor.upstream.no-ota-route.detail', { javaNotFound: '200 {"code":404,…}' }),
        ],
        fix: t('doctor.upstream.no-ota-route.fix', { hint: t('doctor.upstream.port-hint') }),
      },
    );
  }
  return finding(
    'upstream.ota-path',
    'upstream',
    'pass',
    t('doctor.upstream.ota-route', { path: config.otaPath }),
    {
      detail: [t('doctor.upstream.ota-route.detail')],
    },
  );
}

/** Is the body an OTA reply the rules can work with? `null` when the OTA-path finding already said it. */
function replyShape(reply: ReplyReadout, where: string, port: number, t: Translate): Finding | null {
  if (reply.status === 404 || (reply.shape === 'other-object' && member(reply.body, 'code') === 404))
    return null;
  const sent = t('doctor.upstream.answered', {
    where,
    status: reply.status,
    preview: preview(reply.text, t),
  });
  if (reply.status >= 500 || reply.status < 200 || (reply.status >= 300 && reply.status < 400)) {
    return finding(
      'upstream.reply',
      'upstream',
      'fail',
      t('doctor.upstream.reply.error-status', { status: reply.status }),
      { detail: [sent], fix: t('doctor.upstream.reply.error-status.fix') },
    );
  }
  if (reply.status >= 400) {
    return finding(
      'upstream.reply',
      'upstream',
      'fail',
      t('doctor.upstream.reply.refused', { status: reply.status }),
      {
        detail: [sent],
      },
    );
  }
  switch (reply.shape) {
    case 'sections': {
      const keys = Object.keys(reply.body ?? {}).join(', ');
      return finding('upstream.reply', 'upstream', 'pass', t('doctor.upstream.reply.ota', { keys }));
    }
    case 'other-object':
      return finding('upstream.reply', 'upstream', 'fail', t('doctor.upstream.reply.error-object'), {
        detail: [sent, ...errorShapeHints(reply, t)],
        fix: t('doctor.upstream.reply.error-object.fix'),
      });
    case 'not-object':
    case 'invalid':
      return finding('upstream.reply', 'upstream', 'fail', t('doctor.upstream.reply.not-object'), {
        detail: [sent, ...(port === 8000 ? [t('doctor.upstream.reply.voice-port')] : [])],
        fix: t('doctor.upstream.check-url.fix', { hint: t('doctor.upstream.port-hint') }),
      });
    default: {
      const never: never = reply.shape;
      throw new Error(`unhandled shape ${String(never)}`);
    }
  }
}

/** What the upstream's known error bodies mean (docs/upstream.md "errors"). */
function errorShapeHints(reply: ReplyReadout, t: Translate): string[] {
  const body = reply.body;
  if (body === null) return [];
  if (member(body, 'success') === false) return [t('doctor.upstream.hint.python-headers')];
  const error = member(body, 'error');
  if (error === 'Invalid device ID') return [t('doctor.upstream.hint.invalid-device-id')];
  if (typeof error === 'string') return [t('doctor.upstream.hint.manager-api-says', { error })];
  if (member(body, 'code') === 500) return [t('doctor.upstream.hint.manager-api-500')];
  return [];
}

const SIZE_RULES: ReadonlySet<FrameRule> = new Set(['body-over-4KiB', 'response-over-8KiB']);

/** The upstream's framing: the proxy re-frames every reply, but a device pointed straight at the upstream would not cope. */
function framing(
  config: Config,
  { response, broken }: Extract<RawExchange, { kind: 'response' }>,
  reply: ReplyReadout,
  t: Translate,
): Finding {
  // The frame rules devices need, less the status (judged above) and the size (judged here on the decoded
  // body, which is what the proxy works with); the proxy's header promise is not the upstream's.
  const problems = judgeDeviceFrame(response)
    .filter((v) => v.source === 'device-contract' && !v.rule.startsWith('status-') && !SIZE_RULES.has(v.rule))
    .map((v) => describeFrameViolation(v, response, t));
  if (broken !== null) problems.push(t('doctor.broken-reply', { reason: broken }));
  const bytes = Buffer.byteLength(reply.text, 'utf8');
  const max = config.upstream.maxBodyBytes;
  if (bytes > max) {
    return finding(
      'upstream.framing',
      'upstream',
      'fail',
      t('doctor.upstream.framing.too-large', { bytes, max }),
      {
        fix: t('doctor.upstream.framing.too-large.fix'),
      },
    );
  }
  if (bytes >= MAX_REPLY_BYTES) problems.push(t('doctor.upstream.framing.near-limit', { bytes }));
  if (problems.length === 0)
    return finding('upstream.framing', 'upstream', 'pass', t('doctor.upstream.framing.ok', { bytes }));
  return finding('upstream.framing', 'upstream', 'warn', t('doctor.upstream.framing.trouble'), {
    detail: problems,
    fix: t('doctor.upstream.framing.trouble.fix'),
  });
}

/** The first part of a body for a report line. */
export function preview(text: string, t: Translate, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat === '' ? t('doctor.empty-body') : flat;
}
