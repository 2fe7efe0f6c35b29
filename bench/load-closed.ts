/**
 * Closed-loop OTA checks with autocannon: `connections` keep-alive connections, each sending the next
 * device's check as soon as the previous reply arrived, for a fixed time. Measures the most a target
 * answers (req/s) and the latency at that load. Each request is another device.
 */
import autocannon from 'autocannon';
import { readCapture } from '../test/helpers/captures.js';
import {
  CAPTURED_CLIENT_ID,
  CAPTURED_MAC,
  DEVICE_CAPTURE,
  deviceClientId,
  deviceMac,
} from './device-request.js';

export interface ClosedJob {
  readonly kind: 'closed';
  readonly port: number;
  readonly connections: number;
  readonly durationSec: number;
  readonly firstIndex: number;
}

export interface ClosedResult {
  readonly type: 'result';
  readonly kind: 'closed';
  /** 2xx replies. */
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationSec: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Runs one closed-loop job with autocannon in this process (the load process). */
export function runClosed(job: ClosedJob): Promise<ClosedResult> {
  const capture = readCapture(DEVICE_CAPTURE, 'request');
  const [, path = '/xiaozhi/ota/'] = capture.startLine.split(' ');
  // autocannon writes Host, Connection: keep-alive and Content-Length itself.
  const baseHeaders = capture.headers.filter(
    ([k]) => !['host', 'connection', 'content-length'].includes(k.toLowerCase()),
  );
  const bodyText = capture.body.toString('latin1');
  let next = job.firstIndex;
  const setupRequest = (request: autocannon.Request): autocannon.Request => {
    const index = next++;
    const mac = deviceMac(index);
    const clientId = deviceClientId(index);
    const headers: Record<string, string> = {};
    for (const [name, value] of baseHeaders) {
      const lower = name.toLowerCase();
      headers[name] = lower === 'device-id' ? mac : lower === 'client-id' ? clientId : value;
    }
    return {
      ...request,
      headers,
      body: Buffer.from(
        bodyText.replaceAll(CAPTURED_MAC, mac).replaceAll(CAPTURED_CLIENT_ID, clientId),
        'latin1',
      ),
    };
  };
  return new Promise<ClosedResult>((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${job.port}`,
        connections: job.connections,
        duration: job.durationSec,
        timeout: 10,
        requests: [{ method: 'POST', path, setupRequest }],
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const ok = result['2xx'];
        resolve({
          type: 'result',
          kind: 'closed',
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationSec: result.duration,
          requestsPerSecond: ok / result.duration,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
        });
      },
    );
  });
}
