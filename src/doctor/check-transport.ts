/**
 * The voice channel devices are told to use, judged as they see it (docs/upstream.md pains §1, §6): the
 * websocket URL's host (Docker-internal, loopback, placeholder …) and whether something listens there, and
 * an `mqtt` section that makes devices use MQTT when WebSocket is wanted (docs/device-contract.md §3: any
 * `mqtt` object wins over `websocket`).
 */
import type { Translate } from '../i18n/translate.js';
import { isWebsocketPresent } from '../rewrite/rules/websocket-url.js';
import type { JsonObject } from '../rewrite/types.js';
import { finding, type Finding } from './findings.js';
import { endpointOf, judgeHost, mqttEndpointOf, type HostJudgement, type UrlEndpoint } from './host-kind.js';
import { member, section, type DoctorContext } from './reply-readout.js';
import { describeProbe, type ProbeResult } from './tcp-probe.js';

/** The template hole for the host devices use (docs/configuration.md "Templates"), quoted in fixes. */
export const HOST_TEMPLATE = '{host}';

/** The voice URL the fixes suggest. */
const WEBSOCKET_EXAMPLE = `ws://${HOST_TEMPLATE}:8000/xiaozhi/v1/`;

export interface TransportInput {
  readonly ctx: DoctorContext;
  /** The upstream's folded reply, when it sent one. */
  readonly upstream: JsonObject | null;
  /** The reply devices get from the proxy, when it is an OTA reply. */
  readonly reply: JsonObject | null;
  /** The `mqtt` mode the config resolves to for doctor's device. */
  readonly mqttMode: 'keep' | 'strip';
  /** Whether a `websocket` item matches doctor's device (the operator wants the WebSocket). */
  readonly websocketItem: boolean;
}

/** A `host:port` to dial once, and why. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

export function probeKey({ host, port }: ProbeTarget): string {
  return `${host.toLowerCase().replace(/^\[|\]$/g, '')}:${port}`;
}

/** Whether an endpoint is the proxy itself as devices reach it. */
export function isOwnOrigin(endpoint: { host: string; port: number | null }, ctx: DoctorContext): boolean {
  return (
    endpoint.host.toLowerCase().replace(/^\[|\]$/g, '') ===
      ctx.deviceOrigin.host.toLowerCase().replace(/^\[|\]$/g, '') && endpoint.port === ctx.deviceOrigin.port
  );
}

/** The voice URL devices get, and where a connect tells whether it works (the voice server behind the proxy's own port). */
function websocketTarget(
  input: TransportInput,
): { url: string; endpoint: UrlEndpoint | null; dial: ProbeTarget | null; own: boolean } | null {
  const ws = section(input.reply, 'websocket');
  if (!isWebsocketPresent(ws ?? undefined)) return null;
  const url = String(member(ws, 'url'));
  const endpoint = endpointOf(url);
  if (endpoint === null || endpoint.port === null) return { url, endpoint, dial: null, own: false };
  const own = isOwnOrigin(endpoint, input.ctx);
  if (own) {
    const voice = input.ctx.config.voiceProxy.upstream;
    return { url, endpoint, dial: voice === null ? null : { host: voice.host, port: voice.port }, own };
  }
  return { url, endpoint, dial: { host: endpoint.host, port: endpoint.port }, own };
}

function mqttTarget(input: TransportInput): { endpoint: string; parsed: UrlEndpoint | null } | null {
  const mqtt = section(input.reply, 'mqtt');
  if (mqtt === null) return null;
  const endpoint = member(mqtt, 'endpoint');
  if (typeof endpoint !== 'string') return { endpoint: String(endpoint), parsed: null };
  return { endpoint, parsed: mqttEndpointOf(endpoint) };
}

/** Where doctor will connect to check the transport (each at most once per run). */
export function transportProbes(input: TransportInput): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  const ws = websocketTarget(input);
  if (ws?.dial) out.push(ws.dial);
  const mqtt = mqttTarget(input);
  if (mqtt?.parsed && mqtt.parsed.port !== null) out.push({ host: mqtt.parsed.host, port: mqtt.parsed.port });
  return out;
}

/** The websocket and mqtt findings; `probes` holds the connect results by `probeKey`. */
export function checkTransport(input: TransportInput, probes: ReadonlyMap<string, ProbeResult>): Finding[] {
  if (input.reply === null) {
    return [finding('websocket.url', 'websocket', 'skip', input.ctx.t('doctor.websocket.no-reply'))];
  }
  return [...websocketFindings(input, probes), ...mqttFindings(input, probes)];
}

function websocketFindings(input: TransportInput, probes: ReadonlyMap<string, ProbeResult>): Finding[] {
  const { ctx } = input;
  const { t } = ctx;
  const target = websocketTarget(input);
  const upstreamUrl = member(section(input.upstream, 'websocket'), 'url');
  const upstreamText = typeof upstreamUrl === 'string' ? upstreamUrl : null;
  if (target === null) {
    if (section(input.reply, 'mqtt') !== null) {
      return [finding('websocket.url', 'websocket', 'info', t('doctor.websocket.mqtt-instead'))];
    }
    return [
      finding('websocket.url', 'websocket', 'fail', t('doctor.websocket.none'), {
        fix: t('doctor.websocket.none.fix', { example: WEBSOCKET_EXAMPLE }),
      }),
    ];
  }
  const fix = upstreamText
    ? t('doctor.websocket.fix-from', {
        example: WEBSOCKET_EXAMPLE,
        hostTemplate: HOST_TEMPLATE,
        from: originPrefix(upstreamText),
      })
    : t('doctor.websocket.fix', { example: WEBSOCKET_EXAMPLE, hostTemplate: HOST_TEMPLATE });
  if (target.endpoint === null || target.endpoint.port === null) {
    return [
      finding('websocket.url', 'websocket', 'fail', t('doctor.websocket.no-endpoint', { url: target.url }), {
        detail: [t('doctor.websocket.no-endpoint.detail')],
        fix,
      }),
    ];
  }
  const judged = judgeHost(target.endpoint.host, ctx.deviceHost, t);
  const detail: string[] = [t('doctor.websocket.host', { deviceHost: ctx.deviceHost, why: judged.why })];
  let title = t('doctor.websocket.url', { url: target.url });
  if (upstreamText !== null && upstreamText !== target.url) {
    const upstreamEndpoint = endpointOf(upstreamText);
    const upstreamJudged =
      upstreamEndpoint === null ? null : judgeHost(upstreamEndpoint.host, ctx.deviceHost, t);
    detail.push(
      upstreamJudged && upstreamJudged.verdict !== 'ok'
        ? t('doctor.websocket.upstream-sends.judged', { url: upstreamText, why: upstreamJudged.why })
        : t('doctor.websocket.upstream-sends', { url: upstreamText }),
    );
    if (upstreamJudged !== null && upstreamJudged.verdict === 'fail' && judged.verdict === 'ok') {
      title = t('doctor.websocket.url.fixed', {
        url: target.url,
        host: upstreamEndpoint?.host ?? '',
        kind: t(`doctor.host-kind.${upstreamJudged.kind}`),
      });
    }
  }
  const out: Finding[] = [
    finding(
      'websocket.url',
      'websocket',
      judged.verdict === 'ok' ? 'pass' : judged.verdict,
      title,
      judged.verdict === 'ok' ? { detail } : { detail, fix },
    ),
  ];
  out.push(reachability(target, probes, judged.verdict, t));
  return out;
}

function reachability(
  target: NonNullable<ReturnType<typeof websocketTarget>>,
  probes: ReadonlyMap<string, ProbeResult>,
  hostVerdict: HostJudgement['verdict'],
  t: Translate,
): Finding {
  if (target.own && target.dial === null) {
    return finding(
      'websocket.reachable',
      'websocket',
      'fail',
      t('doctor.websocket.own-port', { url: target.url }),
      {
        fix: t('doctor.websocket.own-port.fix'),
      },
    );
  }
  if (target.dial === null)
    return finding('websocket.reachable', 'websocket', 'skip', t('doctor.websocket.no-target'));
  const where = `${target.dial.host}:${target.dial.port}`;
  const via = target.own ? t('doctor.websocket.via', { url: target.url, where }) : '';
  const result = probes.get(probeKey(target.dial));
  if (result === undefined)
    return finding('websocket.reachable', 'websocket', 'skip', t('doctor.websocket.not-probed', { where }));
  if (hostVerdict === 'fail' && !target.own) {
    // This machine may reach a container address that devices never can (the Docker host does).
    return finding(
      'websocket.reachable',
      'websocket',
      'info',
      t('doctor.websocket.unusable-host', { where, probe: describeProbe(result, t) }),
    );
  }
  switch (result.kind) {
    case 'open':
      return finding('websocket.reachable', 'websocket', 'pass', t('doctor.websocket.open', { where, via }));
    case 'refused':
      return finding(
        'websocket.reachable',
        'websocket',
        'fail',
        t('doctor.websocket.refused', { where, via }),
        {
          detail: [describeProbe(result, t)],
          fix: t('doctor.websocket.refused.fix'),
        },
      );
    case 'timeout':
    case 'unreachable':
      return finding(
        'websocket.reachable',
        'websocket',
        'warn',
        t('doctor.websocket.unreachable', { where, via }),
        {
          detail: [describeProbe(result, t), t('doctor.websocket.unreachable.detail')],
        },
      );
    default: {
      const never: never = result;
      throw new Error(`unhandled probe ${String(never)}`);
    }
  }
}

function mqttFindings(input: TransportInput, probes: ReadonlyMap<string, ProbeResult>): Finding[] {
  const { ctx } = input;
  const { t } = ctx;
  const mqtt = mqttTarget(input);
  const wantsWebsocket = input.websocketItem || input.mqttMode === 'strip';
  if (mqtt === null) {
    if (section(input.upstream, 'mqtt') !== null) {
      return [finding('mqtt.present', 'mqtt', 'pass', t('doctor.mqtt.stripped'))];
    }
    return [finding('mqtt.present', 'mqtt', 'pass', t('doctor.mqtt.absent'))];
  }
  const out: Finding[] = [];
  if (wantsWebsocket) {
    const heldBack = input.mqttMode === 'strip';
    out.push(
      finding('mqtt.present', 'mqtt', 'fail', t('doctor.mqtt.wins', { endpoint: mqtt.endpoint }), {
        detail: [t('doctor.mqtt.wins.detail'), ...(heldBack ? [t('doctor.mqtt.wins.held-back')] : [])],
        fix: heldBack
          ? t('doctor.mqtt.wins.held-back.fix', { example: WEBSOCKET_EXAMPLE })
          : t('doctor.mqtt.wins.fix'),
      }),
    );
  } else {
    out.push(
      finding('mqtt.present', 'mqtt', 'info', t('doctor.mqtt.kept', { endpoint: mqtt.endpoint }), {
        detail: [t('doctor.mqtt.kept.detail')],
      }),
    );
  }
  if (mqtt.parsed === null || mqtt.parsed.port === null) {
    out.push(
      finding('mqtt.endpoint', 'mqtt', 'warn', t('doctor.mqtt.bad-endpoint', { endpoint: mqtt.endpoint })),
    );
    return out;
  }
  const judged = judgeHost(mqtt.parsed.host, ctx.deviceHost, t);
  const where = `${mqtt.parsed.host}:${mqtt.parsed.port}`;
  const result = probes.get(probeKey({ host: mqtt.parsed.host, port: mqtt.parsed.port }));
  const probeLine = result === undefined ? t('doctor.not-probed') : describeProbe(result, t);
  const status =
    judged.verdict === 'fail' || result?.kind === 'refused'
      ? 'fail'
      : judged.verdict === 'warn' || (result !== undefined && result.kind !== 'open')
        ? 'warn'
        : 'pass';
  out.push(
    finding(
      'mqtt.endpoint',
      'mqtt',
      status,
      t('doctor.mqtt.endpoint', { where, why: judged.why, probe: probeLine }),
    ),
  );
  return out;
}

/** `ws://172.21.0.5:8000/` of a URL, for a suggested rewrite rule. */
function originPrefix(url: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\//i.exec(url);
  return match?.[0] ?? url;
}
