/**
 * The start-up look at the upstream (issue 12 §2): one TCP connect to `upstream.url`'s host and port, after
 * the proxy listens and without holding up the start. A newcomer whose server is not running, or runs on
 * another port, reads it in the first lines instead of mistaking the fallback replies for success. It is
 * a connect and an immediate close, never a request (doctor's prober: src/doctor/tcp-probe.ts).
 */
import type { Logger } from 'pino';
import type { UpstreamTarget } from '../config/types.js';
import { createTcpProber, type ProbeResult } from '../doctor/tcp-probe.js';

export interface UpstreamProbeOptions {
  readonly target: UpstreamTarget;
  /** Whether devices get the fallback reply while the upstream is away (`fallback.enabled`). */
  readonly fallback: boolean;
  readonly logger: Logger;
  readonly timeoutMs: number;
}

/** Dials the upstream once and logs what it found: `info` when something listens, `warn` otherwise. */
export async function probeUpstream({
  target,
  fallback,
  logger,
  timeoutMs,
}: UpstreamProbeOptions): Promise<ProbeResult> {
  const result = await createTcpProber({ timeoutMs }).probe(target.host, target.port);
  if (result.kind === 'open') {
    logger.info({ upstream: target.href, ms: result.ms }, 'upstream reachable');
    return result;
  }
  const failure = result.kind === 'unreachable' ? `unreachable (${result.code})` : result.kind;
  logger.warn(
    { upstream: target.href, failure, ms: result.ms },
    fallback
      ? `upstream unreachable (${failure}): devices get the proxy's fallback reply, not the server's, until it answers; check upstream.url (UPSTREAM_URL)`
      : `upstream unreachable (${failure}): devices get 502 until it answers; check upstream.url (UPSTREAM_URL)`,
  );
  return result;
}
