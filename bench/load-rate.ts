/**
 * Open-loop OTA checks at a fixed rate, as a fleet of devices sends them: request i is due at
 * start + i / rate whatever happened before (wrk2's model), each device on its own connection with
 * `Connection: close` (docs/device-contract.md §1). Latency is measured from the due time, so a stall is
 * charged to every request it delays (no coordinated omission); the time from the actual send is
 * kept as well. Every reply can be checked against the device contract.
 */
import net from 'node:net';
import { expectedOffer } from './catalog-plan.js';
import { checkOtaReply, type ReplyExpectations } from './contract-check.js';
import { deviceMac, deviceRequest, deviceRequestTemplate } from './device-request.js';
import { createResponseReader, type ReadState } from '../src/http-wire/response-reader.js';
import { summarizeLatencies, type LatencySummary } from './stats.js';

export interface RateJob {
  readonly kind: 'rate';
  readonly port: number;
  readonly rate: number;
  readonly count: number;
  /** Device index of the first request; request i is device firstIndex + i. */
  readonly firstIndex: number;
  /** A device waits 30 s for headers (docs/device-contract.md §2). */
  readonly timeoutMs: number;
  /** Grade every reply (the proxy's); `null` counts status 200 only (the upstream's own reply). */
  readonly expectations: ReplyExpectations | null;
  /** Compare each firmware offer with the catalog's expected one (catalog-plan.ts). */
  readonly verifyOffers: boolean;
}

export interface RateResult {
  readonly type: 'result';
  readonly kind: 'rate';
  readonly sent: number;
  readonly ok: number;
  /** Requests without a usable reply, by cause (status, timeout, reset, malformed …). */
  readonly failures: Readonly<Record<string, number>>;
  /** Replies that arrived but break the contract, by violation. */
  readonly violations: Readonly<Record<string, number>>;
  readonly nonContractReplies: number;
  /** From the due time (what the fleet experiences). */
  readonly latencyMs: LatencySummary;
  /** From the moment the connection was opened. */
  readonly serviceMs: LatencySummary;
  /** How late the generator itself opened connections (its own scheduling delay). */
  readonly sendLagMs: LatencySummary;
  readonly durationMs: number;
  readonly achievedRate: number;
  readonly maxInFlight: number;
  /** Firmware versions offered, by version (`none` when no firmware section). */
  readonly offers: Readonly<Record<string, number>>;
  readonly offerMismatches: number;
}

/** Sends `count` device checks at `rate` per second, open loop, and grades every reply. */
export async function runRate(job: RateJob): Promise<RateResult> {
  const template = deviceRequestTemplate({ host: `127.0.0.1:${job.port}`, keepAlive: false });
  const latencies = new Float64Array(job.count);
  const service = new Float64Array(job.count);
  const lags = new Float64Array(job.count);
  let done = 0;
  let ok = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let nonContract = 0;
  let mismatches = 0;
  const failures: Record<string, number> = {};
  const violations: Record<string, number> = {};
  const offers: Record<string, number> = {};
  const bump = (table: Record<string, number>, key: string): void => {
    table[key] = (table[key] ?? 0) + 1;
  };

  const interval = 1000 / job.rate;
  const start = performance.now() + 20;
  let lastDone = start;

  return new Promise<RateResult>((resolve) => {
    const finishOne = (): void => {
      done += 1;
      inFlight -= 1;
      if (done === job.count) {
        const durationMs = lastDone - start;
        resolve({
          type: 'result',
          kind: 'rate',
          sent: job.count,
          ok,
          failures,
          violations,
          nonContractReplies: nonContract,
          latencyMs: summarizeLatencies(latencies.subarray(0, ok)),
          serviceMs: summarizeLatencies(service.subarray(0, ok)),
          sendLagMs: summarizeLatencies(lags),
          durationMs,
          achievedRate: durationMs > 0 ? (job.count * 1000) / durationMs : 0,
          maxInFlight,
          offers,
          offerMismatches: mismatches,
        });
      }
    };

    const launch = (i: number, due: number): void => {
      const index = job.firstIndex + i;
      const sentAt = performance.now();
      lags[i] = sentAt - due;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const reader = createResponseReader();
      const socket = net.connect({ host: '127.0.0.1', port: job.port, noDelay: true });
      let settled = false;
      const timer = setTimeout(
        () => settle({ kind: 'malformed', reason: 'timeout', partial: null }),
        job.timeoutMs,
      );
      const settle = (state: ReadState): void => {
        if (settled || state.kind === 'more') return;
        settled = true;
        clearTimeout(timer);
        const now = performance.now();
        lastDone = Math.max(lastDone, now);
        if (state.kind === 'malformed') {
          bump(failures, state.reason.startsWith('timeout') ? 'timeout' : 'malformed');
          socket.destroy();
        } else {
          const { response } = state;
          if (response.status !== 200) bump(failures, `status-${response.status}`);
          else {
            latencies[ok] = now - due;
            service[ok] = now - sentAt;
            ok += 1;
            if (job.expectations !== null) {
              const verdict = checkOtaReply(response, job.expectations);
              if (verdict.violations.length > 0) {
                nonContract += 1;
                for (const v of verdict.violations) bump(violations, v);
              }
              const firmware = verdict.sections?.firmware;
              const offered =
                typeof firmware === 'object' && firmware !== null
                  ? String((firmware as { version?: unknown }).version)
                  : 'none';
              bump(offers, offered);
              if (job.verifyOffers && offered !== expectedOffer(deviceMac(index))) mismatches += 1;
            }
          }
          // The device reads Content-Length bytes and closes; the server closes as well (Connection: close).
          if (socket.readableEnded) socket.destroy();
          else {
            socket.once('end', () => socket.destroy());
            setTimeout(() => socket.destroy(), 2000).unref();
          }
        }
        finishOne();
      };
      socket.on('data', (chunk: Buffer) => settle(reader.push(chunk)));
      socket.on('end', () => settle(reader.end()));
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          bump(failures, error.code ?? 'error');
          finishOne();
        }
      });
      socket.write(deviceRequest(template, index));
    };

    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < job.count && start + next * interval <= now) {
        launch(next, start + next * interval);
        next += 1;
      }
      if (next < job.count)
        setTimeout(tick, Math.max(0, Math.min(1, start + next * interval - performance.now())));
    };
    setTimeout(tick, 20);
  });
}
