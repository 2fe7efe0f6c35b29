/**
 * Is anything listening there? A TCP connect and an immediate close — never a request: the Java upstream's
 * download links allow three downloads (upstream.md), so doctor must not spend one. Each `host:port` is
 * dialled at most once per run; later asks get the first answer.
 */
import net from 'node:net';

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

/** One line for the report: `open (3 ms)`, `refused`, … */
export function describeProbe(result: ProbeResult): string {
  switch (result.kind) {
    case 'open':
      return `something listens (connected in ${result.ms} ms)`;
    case 'refused':
      return 'connection refused: nothing listens on that port';
    case 'timeout':
      return 'no answer to the connect (firewall, wrong address, or a network this machine cannot reach)';
    case 'unreachable':
      return `unreachable from here (${result.code})`;
    default: {
      const never: never = result;
      throw new Error(`unhandled probe ${String(never)}`);
    }
  }
}
