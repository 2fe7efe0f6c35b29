/**
 * The configuration as devices will live with it: where the proxy listens, which host doctor judges URLs
 * for, and every URL template (`websocket` items, `rewrite.to`) rendered as devices would get it — so an
 * item that doctor's own device does not match is still checked.
 */
import type { Config } from '../config/types.js';
import { renderTemplate } from '../config/template.js';
import { isOwnOrigin } from './check-transport.js';
import { finding, type Finding } from './findings.js';
import { endpointOf, hostKind, judgeHost } from './host-kind.js';
import type { DeviceHostChoice } from './device-host.js';
import type { DoctorContext } from './reply-readout.js';

export function checkConfig(ctx: DoctorContext, choice: DeviceHostChoice): Finding[] {
  const { config } = ctx;
  return [
    finding('config.loaded', 'config', 'pass', `configuration ${config.file} is valid`, {
      detail: [
        `sha256 ${config.hash.slice(0, 16)}…`,
        `upstream ${config.upstream.target.href}${config.otaPath}`,
      ],
    }),
    listenFinding(config),
    deviceHostFinding(ctx, choice),
    ...templateFindings(ctx),
  ];
}

function listenFinding(config: Config): Finding {
  const { host, port } = config.listen;
  if (hostKind(host) === 'loopback') {
    return finding(
      'config.listen',
      'config',
      'warn',
      `the proxy listens on ${host}:${port}: only this machine can reach it`,
      {
        detail: [
          'Fine behind a local nginx or tunnel; devices on the LAN need 0.0.0.0 (or the LAN address).',
        ],
      },
    );
  }
  return finding(
    'config.listen',
    'config',
    'pass',
    `the proxy listens on ${host.includes(':') ? `[${host}]` : host}:${port}`,
  );
}

function deviceHostFinding(ctx: DoctorContext, choice: DeviceHostChoice): Finding {
  const from =
    choice.source === 'option'
      ? '--device-host'
      : choice.source === 'public_url'
        ? 'public_url'
        : choice.source === 'lan'
          ? `this machine's LAN address (${choice.iface ?? 'interface'})`
          : 'no LAN address found';
  const title = `URLs are judged for devices reaching the proxy at ${ctx.deviceOrigin.scheme}://${ctx.deviceOrigin.host}:${ctx.deviceOrigin.port} (from ${from})`;
  const kind = hostKind(choice.host);
  if (choice.source === 'none' || kind === 'loopback') {
    return finding('config.device-host', 'config', 'warn', title, {
      detail: ['Devices never reach the proxy at a loopback address.'],
      fix: 'Pass --device-host <the address devices use>, e.g. --device-host 192.168.1.10.',
    });
  }
  if (choice.source === 'lan' && kind === 'docker') {
    return finding('config.device-host', 'config', 'warn', title, {
      detail: [`${choice.host} looks Docker-internal: doctor seems to run inside a container.`],
      fix: "Pass --device-host <the Docker host's LAN address>.",
    });
  }
  return finding('config.device-host', 'config', 'info', title);
}

/** Every `websocket.url` item and `rewrite.to`, rendered for the devices' origin. */
function templateFindings(ctx: DoctorContext): Finding[] {
  const { config } = ctx;
  const out: Finding[] = [];
  const list = config.websocket ?? [];
  list.forEach((item, i) => {
    const key = list.length > 1 ? `websocket[${i}].url` : 'websocket.url';
    const url = renderTemplate(item.url, ctx.deviceOrigin, 'ws');
    out.push(judgeTemplate(`config.${key}`, key, item.url.source, url, ctx, 'ws'));
  });
  config.rewrite.forEach((rule, i) => {
    const key = `rewrite[${i}].to`;
    const flavour = /^wss?:/i.test(rule.from) ? 'ws' : 'http';
    const url = renderTemplate(rule.to, ctx.deviceOrigin, flavour);
    out.push(judgeTemplate(`config.${key}`, key, rule.to.source, url, ctx, flavour));
  });
  return out;
}

function judgeTemplate(
  id: string,
  key: string,
  source: string,
  url: string,
  ctx: DoctorContext,
  flavour: 'ws' | 'http',
): Finding {
  const shown = source === url ? url : `${source} → ${url}`;
  const endpoint = endpointOf(url);
  if (endpoint === null) {
    // A rewrite `to` is a prefix and may be `{scheme}://{host}` alone; only a full URL can be judged.
    return finding(id, 'config', 'info', `${key}: ${shown}`);
  }
  const judged = judgeHost(endpoint.host, ctx.deviceHost);
  if (
    flavour === 'ws' &&
    endpoint.port !== null &&
    isOwnOrigin(endpoint, ctx) &&
    ctx.config.voiceProxy.upstream === null
  ) {
    return finding(
      id,
      'config',
      'fail',
      `${key}: ${shown} points devices at the proxy's own port, which carries no WebSocket (voice_proxy.upstream is not set)`,
      {
        fix: "Set voice_proxy.upstream, or use the voice server's port (8000).",
      },
    );
  }
  if (judged.verdict === 'ok')
    return finding(id, 'config', 'pass', `${key}: ${shown}`, { detail: [judged.why] });
  return finding(id, 'config', judged.verdict, `${key}: ${shown} — ${judged.why}`, {
    fix: 'Use {host} for the host devices use to reach the proxy, or a name/address they can reach.',
  });
}
