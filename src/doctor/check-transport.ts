/**
 * The voice channel devices are told to use, judged as they see it (upstream.md pains §1, §6): the
 * websocket URL's host (Docker-internal, loopback, placeholder …) and whether something listens there, and
 * an `mqtt` section that makes devices use MQTT when WebSocket is wanted (device-contract.md §3: any
 * `mqtt` object wins over `websocket`).
 */
import { isWebsocketPresent } from '../rewrite/rules/websocket-url.js';
import type { JsonObject } from '../rewrite/types.js';
import { finding, type Finding } from './findings.js';
import {
  endpointOf,
  judgeHost,
  mqttEndpointOf,
  type HostJudgement,
  type HostKind,
  type UrlEndpoint,
} from './host-kind.js';
import { member, section, type DoctorContext } from './reply-readout.js';
import { describeProbe, type ProbeResult } from './tcp-probe.js';

/** How a host kind reads in a sentence. */
const KIND_WORDS: Readonly<Record<HostKind, string>> = {
  loopback: 'loopback',
  unspecified: 'a listen-all address',
  docker: 'Docker-internal',
  private: 'a private address',
  'link-local': 'link-local',
  shared: 'a CGNAT/VPN address',
  placeholder: 'a placeholder',
  'public-ip': 'a public address',
  name: 'a DNS name',
};

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
    return [
      finding(
        'websocket.url',
        'websocket',
        'skip',
        'no OTA reply from the proxy to judge the voice channel by',
      ),
    ];
  }
  return [...websocketFindings(input, probes), ...mqttFindings(input, probes)];
}

function websocketFindings(input: TransportInput, probes: ReadonlyMap<string, ProbeResult>): Finding[] {
  const { ctx } = input;
  const target = websocketTarget(input);
  const upstreamUrl = member(section(input.upstream, 'websocket'), 'url');
  const upstreamText = typeof upstreamUrl === 'string' ? upstreamUrl : null;
  if (target === null) {
    if (section(input.reply, 'mqtt') !== null) {
      return [
        finding('websocket.url', 'websocket', 'info', 'no websocket section: devices use MQTT (see below)'),
      ];
    }
    return [
      finding(
        'websocket.url',
        'websocket',
        'fail',
        'devices get neither a websocket nor an mqtt section: they keep whatever transport they stored before',
        {
          fix: 'Set websocket.url (e.g. ws://{host}:8000/xiaozhi/v1/) so the reply names the voice server.',
        },
      ),
    ];
  }
  const fix = `Set websocket.url: ws://{host}:8000/xiaozhi/v1/ ({host} = the host devices use to reach the proxy), or add a rewrite rule${upstreamText ? ` from ${originPrefix(upstreamText)}` : ''}.`;
  if (target.endpoint === null || target.endpoint.port === null) {
    return [
      finding(
        'websocket.url',
        'websocket',
        'fail',
        `devices get ${target.url}, which has no usable host and port`,
        {
          detail: [
            "A placeholder from the server's sample configuration (server.websocket) looks like this.",
          ],
          fix,
        },
      ),
    ];
  }
  const judged = judgeHost(target.endpoint.host, ctx.deviceHost);
  const detail: string[] = [`devices reach the proxy as ${ctx.deviceHost}; the URL's host: ${judged.why}`];
  let title = `devices get ${target.url}`;
  if (upstreamText !== null && upstreamText !== target.url) {
    const upstreamEndpoint = endpointOf(upstreamText);
    const upstreamJudged =
      upstreamEndpoint === null ? null : judgeHost(upstreamEndpoint.host, ctx.deviceHost);
    detail.push(
      `the upstream sends ${upstreamText}${upstreamJudged && upstreamJudged.verdict !== 'ok' ? ` (${upstreamJudged.why})` : ''}; the proxy's rules replace it`,
    );
    if (upstreamJudged !== null && upstreamJudged.verdict === 'fail' && judged.verdict === 'ok') {
      title = `devices get ${target.url} (fixed by the proxy: the upstream's ${upstreamEndpoint?.host ?? ''} is ${KIND_WORDS[upstreamJudged.kind]})`;
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
  out.push(reachability(target, probes, judged.verdict));
  return out;
}

function reachability(
  target: NonNullable<ReturnType<typeof websocketTarget>>,
  probes: ReadonlyMap<string, ProbeResult>,
  hostVerdict: HostJudgement['verdict'],
): Finding {
  if (target.own && target.dial === null) {
    return finding(
      'websocket.reachable',
      'websocket',
      'fail',
      `${target.url} points at the proxy's own port, but voice_proxy.upstream is not set: the proxy carries no WebSocket`,
      {
        fix: "Set voice_proxy.upstream (e.g. ws://127.0.0.1:8000) or point websocket.url at the voice server's port (8000).",
      },
    );
  }
  if (target.dial === null)
    return finding('websocket.reachable', 'websocket', 'skip', 'no host and port to connect to');
  const where = `${target.dial.host}:${target.dial.port}`;
  const via = target.own ? ` (the proxy carries ${target.url} to voice_proxy.upstream ${where})` : '';
  const result = probes.get(probeKey(target.dial));
  if (result === undefined)
    return finding('websocket.reachable', 'websocket', 'skip', `${where} was not probed`);
  if (hostVerdict === 'fail' && !target.own) {
    // This machine may reach a container address that devices never can (the Docker host does).
    return finding(
      'websocket.reachable',
      'websocket',
      'info',
      `${where} from this machine: ${describeProbe(result)}; devices cannot use that address anyway (above)`,
    );
  }
  switch (result.kind) {
    case 'open':
      return finding(
        'websocket.reachable',
        'websocket',
        'pass',
        `the voice server port ${where} accepts connections${via}`,
      );
    case 'refused':
      return finding(
        'websocket.reachable',
        'websocket',
        'fail',
        `nothing listens at ${where}${via}: devices cannot open the voice channel`,
        {
          detail: [describeProbe(result)],
          fix: "Start the voice server, or fix the port in websocket.url (the xiaozhi-server's WebSocket listens on 8000 by default).",
        },
      );
    case 'timeout':
    case 'unreachable':
      return finding(
        'websocket.reachable',
        'websocket',
        'warn',
        `${where} cannot be reached from this machine${via}`,
        {
          detail: [
            describeProbe(result),
            'Devices may still reach it from their network; check from there if they cannot connect.',
          ],
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
  const mqtt = mqttTarget(input);
  const wantsWebsocket = input.websocketItem || input.mqttMode === 'strip';
  if (mqtt === null) {
    if (section(input.upstream, 'mqtt') !== null) {
      return [
        finding(
          'mqtt.present',
          'mqtt',
          'pass',
          "the upstream's mqtt section is removed (mqtt: strip): devices use the WebSocket",
        ),
      ];
    }
    return [finding('mqtt.present', 'mqtt', 'pass', 'no mqtt section: devices use the WebSocket')];
  }
  const out: Finding[] = [];
  if (wantsWebsocket) {
    const heldBack = input.mqttMode === 'strip';
    out.push(
      finding(
        'mqtt.present',
        'mqtt',
        'fail',
        `devices get an mqtt section (${mqtt.endpoint}), so they use MQTT, not the WebSocket`,
        {
          detail: [
            'A device uses MQTT whenever the reply holds an `mqtt` object (device-contract.md §3).',
            ...(heldBack
              ? [
                  'mqtt: strip held back: the reply has no websocket section to use instead (the Python server sends mqtt *instead of* websocket when its MQTT gateway is on).',
                ]
              : []),
          ],
          fix: heldBack
            ? 'Set websocket.url (e.g. ws://{host}:8000/xiaozhi/v1/): with mqtt: strip the proxy then creates the websocket section.'
            : 'Set mqtt: strip (it only strips when a websocket section is present).',
        },
      ),
    );
  } else {
    out.push(
      finding('mqtt.present', 'mqtt', 'info', `devices use MQTT at ${mqtt.endpoint} (mqtt: keep)`, {
        detail: [
          'To have them use the WebSocket instead: mqtt: strip, and websocket.url when the upstream sends no websocket section.',
        ],
      }),
    );
  }
  if (mqtt.parsed === null || mqtt.parsed.port === null) {
    out.push(
      finding(
        'mqtt.endpoint',
        'mqtt',
        'warn',
        `mqtt.endpoint "${mqtt.endpoint}" is not host or host:port: the guard drops the section rather than let it abort the device`,
      ),
    );
    return out;
  }
  const judged = judgeHost(mqtt.parsed.host, ctx.deviceHost);
  const where = `${mqtt.parsed.host}:${mqtt.parsed.port}`;
  const result = probes.get(probeKey({ host: mqtt.parsed.host, port: mqtt.parsed.port }));
  const probeLine = result === undefined ? 'not probed' : describeProbe(result);
  const status =
    judged.verdict === 'fail' || result?.kind === 'refused'
      ? 'fail'
      : judged.verdict === 'warn' || (result !== undefined && result.kind !== 'open')
        ? 'warn'
        : 'pass';
  out.push(finding('mqtt.endpoint', 'mqtt', status, `MQTT endpoint ${where}: ${judged.why}; ${probeLine}`));
  return out;
}

/** `ws://172.21.0.5:8000/` of a URL, for a suggested rewrite rule. */
function originPrefix(url: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\//i.exec(url);
  return match?.[0] ?? url;
}
