/**
 * The firmware offer devices get (docs/device-contract.md §3, §5): what is offered and why, and whether the
 * download URL can work — its host, and a TCP connect to it (never a GET: the Java upstream's download
 * links allow three downloads, docs/upstream.md). The Java `…NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL` is
 * its deliberate "nothing to download", not a broken link.
 */
import type { Catalog, FirmwareDecision } from '../firmware/types.js';
import type { Translate } from '../i18n/translate.js';
import { compareVersions, parseVersionNumbers } from '../match/version.js';
import { PLACEHOLDER_URL_MARK, isPlaceholderUrl } from '../rewrite/rules/firmware-offer.js';
import type { JsonObject } from '../rewrite/types.js';
import { isOwnOrigin, probeKey, type ProbeTarget } from './check-transport.js';
import { finding, type Finding } from './findings.js';
import { endpointOf, judgeHost } from './host-kind.js';
import { member, section, type DoctorContext } from './reply-readout.js';
import { describeProbe, type ProbeResult } from './tcp-probe.js';

export interface FirmwareInput {
  readonly ctx: DoctorContext;
  readonly upstream: JsonObject | null;
  readonly reply: JsonObject | null;
  /** The catalog's decision for doctor's device. */
  readonly decision: FirmwareDecision;
  readonly catalog: Catalog | null;
  /** Doctor asked an in-process proxy: nothing listens at the device-facing origin on its behalf. */
  readonly inProcess: boolean;
}

/** The download URL devices would fetch: a real URL with a version newer than theirs, or `force: 1` (docs/device-contract.md §3). */
function download(input: FirmwareInput): { url: string; version: string } | null {
  const firmware = section(input.reply, 'firmware');
  const url = member(firmware, 'url');
  const version = member(firmware, 'version');
  if (typeof url !== 'string' || typeof version !== 'string' || url === '' || isPlaceholderUrl(url))
    return null;
  return isNewer(version, input.ctx.deviceVersion) || member(firmware, 'force') === 1
    ? { url, version }
    : null;
}

/** Where doctor connects to check the download URL (at most once per host and port). */
export function firmwareProbes(input: FirmwareInput): ProbeTarget[] {
  const offer = download(input);
  if (offer === null) return [];
  const endpoint = endpointOf(offer.url);
  if (endpoint === null || endpoint.port === null) return [];
  if (isOwnOrigin(endpoint, input.ctx) && input.inProcess) return [];
  return [{ host: endpoint.host, port: endpoint.port }];
}

export function checkFirmware(input: FirmwareInput, probes: ReadonlyMap<string, ProbeResult>): Finding[] {
  if (input.reply === null)
    return [finding('firmware.offer', 'firmware', 'skip', input.ctx.t('doctor.firmware.no-reply'))];
  return [offerFinding(input), ...urlFinding(input, probes)];
}

function offerFinding(input: FirmwareInput): Finding {
  const { t } = input.ctx;
  const running = input.ctx.deviceVersion;
  const firmware = section(input.reply, 'firmware');
  const decisionLine = describeDecision(input.decision, t);
  const upstreamUrl = member(section(input.upstream, 'firmware'), 'url');
  const detail = [decisionLine];
  if (
    typeof upstreamUrl === 'string' &&
    upstreamUrl !== '' &&
    !isPlaceholderUrl(upstreamUrl) &&
    upstreamUrl !== member(firmware, 'url')
  ) {
    detail.push(t('doctor.firmware.upstream-offered', { url: upstreamUrl }));
  }
  if (firmware === null)
    return finding('firmware.offer', 'firmware', 'pass', t('doctor.firmware.absent'), { detail });
  const url = member(firmware, 'url');
  const version = String(member(firmware, 'version'));
  if (typeof url === 'string' && isPlaceholderUrl(url)) {
    return finding('firmware.offer', 'firmware', 'pass', t('doctor.firmware.placeholder', { version }), {
      detail: [...detail, t('doctor.firmware.placeholder.detail', { mark: PLACEHOLDER_URL_MARK })],
    });
  }
  if (url === '')
    return finding('firmware.offer', 'firmware', 'pass', t('doctor.firmware.empty-url', { version }), {
      detail,
    });
  const offer = download(input);
  const force = member(firmware, 'force') === 1;
  if (offer === null) {
    return finding(
      'firmware.offer',
      'firmware',
      'pass',
      t('doctor.firmware.not-newer', { version, running }),
      {
        detail,
      },
    );
  }
  const values = { running, version: offer.version, url: offer.url };
  return finding(
    'firmware.offer',
    'firmware',
    'info',
    force ? t('doctor.firmware.download-forced', values) : t('doctor.firmware.download', values),
    { detail },
  );
}

function urlFinding(input: FirmwareInput, probes: ReadonlyMap<string, ProbeResult>): Finding[] {
  const offer = download(input);
  if (offer === null) return [];
  const { ctx } = input;
  const { t } = ctx;
  const endpoint = endpointOf(offer.url);
  const transport = t('doctor.firmware.connect-only');
  if (
    endpoint === null ||
    endpoint.port === null ||
    (endpoint.scheme !== 'http' && endpoint.scheme !== 'https')
  ) {
    return [
      finding('firmware.url', 'firmware', 'fail', t('doctor.firmware.not-http', { url: offer.url }), {
        fix: t('doctor.firmware.not-http.fix'),
      }),
    ];
  }
  const judged = judgeHost(endpoint.host, ctx.deviceHost, t);
  const tlsNote = endpoint.scheme === 'https' ? [t('doctor.firmware.tls')] : [];
  if (isOwnOrigin(endpoint, ctx)) {
    // With the fleet on the URL carries the device's token first (docs/fleet.md "Download tokens").
    const file =
      /^[a-z]+:\/\/[^/]*\/firmware\/(?:[0-9a-f]{12}\.[A-Za-z0-9_-]{16}\/)?([A-Za-z0-9._-]+)(?:[?#].*)?$/i.exec(
        offer.url,
      )?.[1];
    const served = file !== undefined && input.catalog?.byFile.has(file) === true;
    if (!served) {
      return [
        finding('firmware.url', 'firmware', 'fail', t('doctor.firmware.not-in-catalog', { url: offer.url })),
      ];
    }
    const result = probes.get(probeKey({ host: endpoint.host, port: endpoint.port }));
    if (input.inProcess || result === undefined) {
      return [
        finding('firmware.url', 'firmware', 'pass', t('doctor.firmware.served', { file }), {
          detail: [t('doctor.firmware.served.detail'), ...tlsNote],
        }),
      ];
    }
    return [
      probeFinding(offer.url, `${endpoint.host}:${endpoint.port}`, result, judged.verdict, t, [
        judged.why,
        transport,
        ...tlsNote,
      ]),
    ];
  }
  const result = probes.get(probeKey({ host: endpoint.host, port: endpoint.port }));
  if (result === undefined) {
    return [
      finding(
        'firmware.url',
        'firmware',
        judged.verdict === 'ok' ? 'skip' : judged.verdict,
        t('doctor.firmware.not-probed', { url: offer.url, why: judged.why }),
      ),
    ];
  }
  return [
    probeFinding(offer.url, `${endpoint.host}:${endpoint.port}`, result, judged.verdict, t, [
      judged.why,
      transport,
      ...tlsNote,
    ]),
  ];
}

function probeFinding(
  url: string,
  where: string,
  result: ProbeResult,
  hostVerdict: 'ok' | 'warn' | 'fail',
  t: Translate,
  detail: string[],
): Finding {
  const fix = t('doctor.firmware.download.fix');
  const lines = [describeProbe(result, t), ...detail];
  if (result.kind === 'refused') {
    return finding('firmware.url', 'firmware', 'fail', t('doctor.firmware.refused', { where, url }), {
      detail: [...lines, t('doctor.firmware.refused.detail')],
      fix,
    });
  }
  if (hostVerdict === 'fail')
    return finding('firmware.url', 'firmware', 'fail', t('doctor.firmware.host-fails', { url }), {
      detail: lines,
      fix,
    });
  if (result.kind !== 'open')
    return finding('firmware.url', 'firmware', 'warn', t('doctor.firmware.unreachable', { where }), {
      detail: lines,
    });
  if (hostVerdict === 'warn')
    return finding('firmware.url', 'firmware', 'warn', t('doctor.firmware.some-devices', { where }), {
      detail: lines,
    });
  return finding('firmware.url', 'firmware', 'pass', t('doctor.firmware.open', { where }), { detail: lines });
}

function describeDecision(decision: FirmwareDecision, t: Translate): string {
  switch (decision.kind) {
    case 'offer': {
      const values = { board: decision.entry.board, version: decision.version, file: decision.entry.file };
      return decision.force
        ? t('doctor.firmware.decision.offer-pinned', values)
        : t('doctor.firmware.decision.offer', values);
    }
    case 'none':
      // The reason is a stable code; the detail is the selector's log text (English, like the log).
      return t('doctor.firmware.decision.none', { reason: decision.reason, detail: decision.detail });
    default: {
      const never: never = decision;
      throw new Error(`unhandled decision ${String(never)}`);
    }
  }
}

/** Whether `offered` is newer than `running`, compared as the device compares (segment by segment). */
function isNewer(offered: string, running: string): boolean {
  const a = parseVersionNumbers(offered);
  const b = parseVersionNumbers(running);
  return a !== null && b !== null && compareVersions(a, b) > 0;
}
