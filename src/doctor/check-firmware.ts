/**
 * The firmware offer devices get (device-contract.md §3, §5): what is offered and why, and whether the
 * download URL can work — its host, and a TCP connect to it (never a GET: the Java upstream's download
 * links allow three downloads, upstream.md). The Java `…NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL` is
 * its deliberate "nothing to download", not a broken link.
 */
import type { Catalog, FirmwareDecision } from '../firmware/types.js';
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

/** The download URL devices would fetch: a real URL with a version newer than theirs, or `force: 1` (device-contract.md §3). */
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
    return [
      finding(
        'firmware.offer',
        'firmware',
        'skip',
        'no OTA reply from the proxy to judge the firmware offer by',
      ),
    ];
  return [offerFinding(input), ...urlFinding(input, probes)];
}

function offerFinding(input: FirmwareInput): Finding {
  const running = input.ctx.deviceVersion;
  const firmware = section(input.reply, 'firmware');
  const decisionLine = describeDecision(input.decision);
  const upstreamUrl = member(section(input.upstream, 'firmware'), 'url');
  const detail = [decisionLine];
  if (
    typeof upstreamUrl === 'string' &&
    upstreamUrl !== '' &&
    !isPlaceholderUrl(upstreamUrl) &&
    upstreamUrl !== member(firmware, 'url')
  ) {
    detail.push(`the upstream offered ${upstreamUrl}`);
  }
  if (firmware === null)
    return finding('firmware.offer', 'firmware', 'pass', 'no firmware section: nothing is offered', {
      detail,
    });
  const url = member(firmware, 'url');
  const version = member(firmware, 'version');
  if (typeof url === 'string' && isPlaceholderUrl(url)) {
    return finding(
      'firmware.offer',
      'firmware',
      'pass',
      `nothing to download: the upstream's placeholder URL (version ${String(version)})`,
      {
        detail: [
          ...detail,
          `…${PLACEHOLDER_URL_MARK} is deliberate: manager-api's "nothing to download" for unbound devices and for bound ones without a newer build. The proxy never rewrites it, and the guard keeps its version at or below the running one so devices never try it.`,
        ],
      },
    );
  }
  if (url === '')
    return finding(
      'firmware.offer',
      'firmware',
      'pass',
      `nothing to download (url "", version ${String(version)})`,
      { detail },
    );
  const offer = download(input);
  const force = member(firmware, 'force') === 1;
  if (offer === null) {
    return finding(
      'firmware.offer',
      'firmware',
      'pass',
      `offers ${String(version)}, not newer than ${running}: devices stay on their version`,
      { detail },
    );
  }
  return finding(
    'firmware.offer',
    'firmware',
    'info',
    `devices running ${running} will download ${offer.version}${force ? ' (force: 1)' : ''} from ${offer.url}`,
    { detail },
  );
}

function urlFinding(input: FirmwareInput, probes: ReadonlyMap<string, ProbeResult>): Finding[] {
  const offer = download(input);
  if (offer === null) return [];
  const { ctx } = input;
  const endpoint = endpointOf(offer.url);
  const transport =
    "Doctor only opens a TCP connection to it: the Java upstream's download links allow three downloads.";
  if (
    endpoint === null ||
    endpoint.port === null ||
    (endpoint.scheme !== 'http' && endpoint.scheme !== 'https')
  ) {
    return [
      finding(
        'firmware.url',
        'firmware',
        'fail',
        `${offer.url} is not an http(s) URL a device can download`,
        { fix: 'Fix the URL in the catalog or on the server.' },
      ),
    ];
  }
  const judged = judgeHost(endpoint.host, ctx.deviceHost);
  const tlsNote =
    endpoint.scheme === 'https'
      ? ['Devices check https certificates against the public CA bundle: a self-signed one fails.']
      : [];
  if (isOwnOrigin(endpoint, ctx)) {
    const file = /^[a-z]+:\/\/[^/]*\/firmware\/([A-Za-z0-9._-]+)(?:[?#].*)?$/i.exec(offer.url)?.[1];
    const served = file !== undefined && input.catalog?.byFile.has(file) === true;
    if (!served) {
      return [
        finding(
          'firmware.url',
          'firmware',
          'fail',
          `${offer.url} points at the proxy, which serves no such catalog file`,
        ),
      ];
    }
    const result = probes.get(probeKey({ host: endpoint.host, port: endpoint.port }));
    if (input.inProcess || result === undefined) {
      return [
        finding('firmware.url', 'firmware', 'pass', `served by the proxy from firmware.dir (${file})`, {
          detail: [
            "Devices fetch it from the proxy's own port, where the running proxy must listen.",
            ...tlsNote,
          ],
        }),
      ];
    }
    return [
      probeFinding(offer.url, `${endpoint.host}:${endpoint.port}`, result, judged.verdict, [
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
        `${offer.url}: ${judged.why}; not probed`,
      ),
    ];
  }
  return [
    probeFinding(offer.url, `${endpoint.host}:${endpoint.port}`, result, judged.verdict, [
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
  detail: string[],
): Finding {
  const fix =
    "Devices must be able to download the image: fix the host (a rewrite rule for the upstream's URLs, or the catalog entry's url).";
  const lines = [describeProbe(result), ...detail];
  if (result.kind === 'refused') {
    return finding(
      'firmware.url',
      'firmware',
      'fail',
      `nothing listens at ${where}: devices would fail the download of ${url}`,
      {
        detail: [
          ...lines,
          'Firmware 1.6.6–1.7.6 reboots after a failed download, and asks again at the next boot.',
        ],
        fix,
      },
    );
  }
  if (hostVerdict === 'fail')
    return finding('firmware.url', 'firmware', 'fail', `devices cannot download ${url}`, {
      detail: lines,
      fix,
    });
  if (result.kind !== 'open')
    return finding('firmware.url', 'firmware', 'warn', `${where} cannot be reached from this machine`, {
      detail: lines,
    });
  if (hostVerdict === 'warn')
    return finding(
      'firmware.url',
      'firmware',
      'warn',
      `${where} accepts connections, but not every device can reach it`,
      { detail: lines },
    );
  return finding('firmware.url', 'firmware', 'pass', `the download host ${where} accepts connections`, {
    detail: lines,
  });
}

function describeDecision(decision: FirmwareDecision): string {
  switch (decision.kind) {
    case 'offer':
      return `catalog: offers ${decision.entry.board} ${decision.version} (${decision.entry.file})${decision.force ? ', pinned (force)' : ''}`;
    case 'none':
      return `catalog: nothing offered — ${decision.reason}: ${decision.detail}`;
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
