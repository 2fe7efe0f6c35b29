/**
 * The configuration as devices will live with it: where the proxy listens, which host doctor judges URLs
 * for, and every URL template (`websocket` items, `rewrite.to`) rendered as devices would get it — so an
 * item that doctor's own device does not match is still checked.
 */
import type { Config } from '../config/types.js';
import { renderTemplate } from '../config/template.js';
import type { Translate } from '../i18n/translate.js';
import { HOST_TEMPLATE, isOwnOrigin } from './check-transport.js';
import { finding, type Finding } from './findings.js';
import { endpointOf, hostKind, judgeHost } from './host-kind.js';
import type { DeviceHostChoice } from './device-host.js';
import type { DoctorContext } from './reply-readout.js';

export function checkConfig(ctx: DoctorContext, choice: DeviceHostChoice): Finding[] {
  const { config, t } = ctx;
  return [
    finding('config.loaded', 'config', 'pass', t('doctor.config.loaded', { file: config.file }), {
      detail: [
        t('doctor.config.loaded.hash', { hash: config.hash.slice(0, 16) }),
        t('doctor.config.loaded.upstream', { url: `${config.upstream.target.href}${config.otaPath}` }),
      ],
    }),
    listenFinding(config, t),
    deviceHostFinding(ctx, choice),
    ...templateFindings(ctx),
  ];
}

function listenFinding(config: Config, t: Translate): Finding {
  const { host, port } = config.listen;
  if (hostKind(host) === 'loopback') {
    return finding('config.listen', 'config', 'warn', t('doctor.config.listen.loopback', { host, port }), {
      detail: [t('doctor.config.listen.loopback.detail')],
    });
  }
  const shown = host.includes(':') ? `[${host}]` : host;
  return finding('config.listen', 'config', 'pass', t('doctor.config.listen', { host: shown, port }));
}

function deviceHostFinding(ctx: DoctorContext, choice: DeviceHostChoice): Finding {
  const { t } = ctx;
  const from =
    choice.source === 'option'
      ? '--device-host'
      : choice.source === 'public_url'
        ? 'public_url'
        : choice.source === 'lan'
          ? choice.iface === undefined
            ? t('doctor.config.device-host.from-lan-unnamed')
            : t('doctor.config.device-host.from-lan', { iface: choice.iface })
          : t('doctor.config.device-host.from-none');
  const { scheme, host, port } = ctx.deviceOrigin;
  const title = t('doctor.config.device-host', { origin: `${scheme}://${host}:${port}`, from });
  const kind = hostKind(choice.host);
  if (choice.source === 'none' || kind === 'loopback') {
    return finding('config.device-host', 'config', 'warn', title, {
      detail: [t('doctor.config.device-host.loopback')],
      fix: t('doctor.config.device-host.loopback.fix'),
    });
  }
  if (choice.source === 'lan' && kind === 'docker') {
    return finding('config.device-host', 'config', 'warn', title, {
      detail: [t('doctor.config.device-host.docker', { host: choice.host })],
      fix: t('doctor.config.device-host.docker.fix'),
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
  const { t } = ctx;
  const shown = source === url ? url : `${source} → ${url}`;
  const endpoint = endpointOf(url);
  if (endpoint === null) {
    // A rewrite `to` is a prefix and may be `{scheme}://{host}` alone; only a full URL can be judged.
    return finding(id, 'config', 'info', t('doctor.config.template', { key, url: shown }));
  }
  const judged = judgeHost(endpoint.host, ctx.deviceHost, t);
  if (
    flavour === 'ws' &&
    endpoint.port !== null &&
    isOwnOrigin(endpoint, ctx) &&
    ctx.config.voiceProxy.upstream === null
  ) {
    return finding(id, 'config', 'fail', t('doctor.config.template.own-port', { key, url: shown }), {
      fix: t('doctor.config.template.own-port.fix'),
    });
  }
  if (judged.verdict === 'ok')
    return finding(id, 'config', 'pass', t('doctor.config.template', { key, url: shown }), {
      detail: [judged.why],
    });
  return finding(
    id,
    'config',
    judged.verdict,
    t('doctor.config.template.judged', { key, url: shown, why: judged.why }),
    { fix: t('doctor.config.template.judged.fix', { hostTemplate: HOST_TEMPLATE }) },
  );
}
