/**
 * "Why this reply?" for one known device: its check rebuilt from what the fleet knows of it (the firmware's
 * header set and inventory body, as doctor sends it: doctor/probe-request.ts), asked of the live upstream
 * through the OTA check's own upstream step, and explained by admin/explain.ts — nothing recorded, no
 * device touched, the breaker untouched.
 */
import type { DeviceJson } from '../../fleet/api-shapes.js';
import type { ProxyState } from '../../runtime/proxy-state.js';
import { clientIdFor, isLegacyVersion, probeBody } from '../../doctor/probe-request.js';
import {
  explainCheck,
  explainRejected,
  readSubject,
  type Explanation,
  type RejectedExplanation,
} from '../explain.js';

/** A header value as an HTTP client could send it: visible ASCII and spaces only. */
function headerValue(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

export async function explainDevice(
  state: ProxyState,
  device: DeviceJson,
  { peer, host }: { peer: string; host: string },
): Promise<Explanation | RejectedExplanation> {
  const board = device.board ?? 'unknown';
  const version = device.version ?? '0.0.0';
  const clientId = device.client_id ?? clientIdFor(device.id);
  const body = probeBody(
    {
      deviceId: device.id,
      board,
      version,
      chip: device.chip ?? 'esp32s3',
      ip: device.last_address ?? '0.0.0.0',
    },
    clientId,
  );
  const headers: [string, string][] = [
    ['Host', headerValue(host)],
    ['Accept-Language', headerValue(device.language ?? 'zh-CN')],
  ];
  if (!isLegacyVersion(version)) headers.push(['Activation-Version', '1']);
  headers.push(
    ['Client-Id', headerValue(clientId)],
    ['Content-Type', 'application/json'],
    ['Device-Id', device.id],
    ['User-Agent', headerValue(`${board}/${version}`)],
  );
  const request = { headers, body, peer: device.last_address ?? peer };
  const config = state.config();
  const subject = readSubject(request, { config, tls: state.tls });
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > config.limits.deviceBodyBytes) return explainRejected(bytes, config.limits.deviceBodyBytes);
  const upstream = await state.otaUpstream.ask({
    headers,
    body: Buffer.from(body, 'utf8'),
    facts: subject.request,
  });
  return explainCheck({
    subject,
    upstream,
    source: 'live',
    state: {
      config,
      catalog: state.catalog(),
      now: state.now(),
      remembered: state.memory.peek(subject.device.id),
      lastUpstreamOffset: state.lastUpstreamOffset,
      breakerOpen: state.breaker.state !== 'closed',
    },
  });
}
