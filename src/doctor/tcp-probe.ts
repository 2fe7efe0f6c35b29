/**
 * Is anything listening there? A TCP connect and an immediate close — never a request: the Java upstream's
 * download links allow three downloads (docs/upstream.md), so doctor must not spend one. Each `host:port` is
 * dialled at most once per run; later asks get the first answer.
 */
import net from 'node:net';
import { translator, type Translate } from '../i18n/translate.js';

export type ProbeResult =
  | { readonly kind: 'open'; readonly ms: number }
  /** Connection refused: the host is up, nothing listens on the port. */
  | { readonly kind: 'refused'; readonly ms: number }
  | { readonly kind: 'timeout'; readonly ms: number }
  /** No route, the name does not resolve, and the like. */
  | { readonly kind: 'unreachable'; readonly code: string; readonly ms: number };

export interface TcpProber {
  probe(host: string, port: number): Promise<ProbeResult>;
  /** `host:port` pairs dialled so far, in order. */
  dialled(): readonly string[];
}

/** A prober that dials each `host:port` once. */
export function createTcpProber({ timeoutMs = 3000 }: { timeoutMs?: number } = {}): TcpProber {
  const results = new Map<string, Promise<ProbeResult>>();
  return {
    probe(host, port) {
      const key = `${host.toLowerCase().replace(/^\[|\]$/g, '')}:${port}`;
      let result = results.get(key);
      if (result === undefined) {
        result = connectOnce(host.replace(/^\[|\]$/g, ''), port, timeoutMs);
        results.set(key, result);
      }
      return result;
    },
    dialled: () => [...results.keys()],
  };
}

function connectOnce(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', ms: ms() }), timeoutMs);
    socket.once('connect', () => finish({ kind: 'open', ms: ms() }));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') finish({ kind: 'refused', ms: ms() });
      else if (error.code === 'ETIMEDOUT') finish({ kind: 'timeout', ms: ms() });
      else finish({ kind: 'unreachable', code: error.code ?? 'ERROR', ms: ms() });
    });
  });
}

/** One line for the report: `something listens (connected in 3 ms)`, `connection refused: …`, … */
export function describeProbe(result: ProbeResult, t: Translate = translator('en')): string {
  switch (result.kind) {
    case 'open':
      return t('doctor.probe.open', { ms: result.ms });
    case 'refused':
      return t('doctor.probe.refused');
    case 'timeout':
      return t('doctor.probe.timeout');
    case 'unreachable':
      return t('doctor.probe.unreachable', { code: result.code });
    default: {
      const never: never = result;
      throw new Error(`unhandled probe ${String(never)}`);
    }
  }
}
