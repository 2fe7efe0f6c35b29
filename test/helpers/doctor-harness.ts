/**
 * doctor against a real fake upstream on 127.0.0.1:0: writes the config (and files) to a temp folder, runs
 * the checks with a prober that only ever dials loopback (tests stay off the network), and cleans up.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chooseDeviceHost } from '../../src/doctor/device-host.js';
import { runDoctorCli, type DoctorIo } from '../../src/doctor/doctor-cli.js';
import type { Finding } from '../../src/doctor/findings.js';
import { runDoctor, type DoctorOptions, type DoctorReport } from '../../src/doctor/run-doctor.js';
import { createTcpProber, type TcpProber } from '../../src/doctor/tcp-probe.js';
import { hostKind } from '../../src/doctor/host-kind.js';
import { loadConfigFile } from '../../src/runtime/config-file.js';
import { startFakeUpstream, type FakeUpstream, type Responder } from './fake-upstream.js';

/** Dials loopback for real; anything else is recorded and reported unreachable without a packet sent. */
export function loopbackProber(): TcpProber & { readonly offLoopback: string[] } {
  const real = createTcpProber({ timeoutMs: 1000 });
  const offLoopback: string[] = [];
  return {
    offLoopback,
    probe(host, port) {
      if (hostKind(host) === 'loopback') return real.probe(host, port);
      offLoopback.push(`${host}:${port}`);
      return Promise.resolve({ kind: 'unreachable', code: 'NOT-DIALLED-IN-TESTS', ms: 0 });
    },
    dialled: () => [...real.dialled(), ...offLoopback],
  };
}

export interface DoctorRun {
  readonly report: DoctorReport;
  readonly upstream: FakeUpstream;
  readonly prober: ReturnType<typeof loopbackProber>;
  /** The finding with this id; throws when there is none. */
  find(id: string): Finding;
}

export interface DoctorRunOptions {
  readonly responder?: Responder;
  /** YAML after `listen` and `upstream` (which the helper writes). */
  readonly yaml?: string;
  /** Replaces the upstream URL (e.g. a closed port). */
  readonly upstreamUrl?: string;
  readonly files?: Record<string, string | Buffer>;
  readonly deviceHost?: string;
  readonly options?: Partial<Omit<DoctorOptions, 'config' | 'env' | 'deviceHost'>>;
}

/** Runs doctor once and tears everything down before returning. */
export async function runDoctorAgainst({
  responder,
  yaml = '',
  upstreamUrl,
  files = {},
  deviceHost = '192.168.1.10',
  options = {},
}: DoctorRunOptions = {}): Promise<DoctorRun> {
  const upstream = await startFakeUpstream(responder);
  const dir = mkdtempSync(join(tmpdir(), 'ota-doctor-test-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    const file = join(dir, 'proxy.yaml');
    writeFileSync(
      file,
      `listen: 0.0.0.0:8003\nupstream:\n  url: ${upstreamUrl ?? upstream.url}\n  timeout_ms: 2000\n${yaml}`,
    );
    const config = await loadConfigFile(file, { env: {} });
    const choice = chooseDeviceHost({ option: deviceHost, config, interfaces: [] });
    if (typeof choice === 'string') throw new Error(choice);
    const prober = loopbackProber();
    const report = await runDoctor({
      config,
      env: {},
      deviceHost: choice,
      prober,
      probeTimeoutMs: 1000,
      localZone: { name: 'UTC', offsetMinutes: () => 0 },
      ...options,
    });
    return {
      report,
      upstream,
      prober,
      find(id) {
        const found = report.findings.find((f) => f.id === id);
        if (found === undefined)
          throw new Error(
            `no finding ${id}; got ${report.findings.map((f) => `${f.id}:${f.status}`).join(', ')}`,
          );
        return found;
      },
    };
  } finally {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface DoctorCliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `xiaozhi-ota-proxy doctor --config <file> …args` through its command line (runDoctorCli) against a real
 * fake upstream, with the real TCP prober: keep every URL the replies name on loopback. `lang` is what
 * cli.ts hands down from the locale. Tears everything down before returning.
 */
export async function runDoctorCliAgainst({
  responder,
  yaml = '',
  args = [],
  env = {},
  lang,
}: {
  readonly responder?: Responder;
  readonly yaml?: string;
  readonly args?: readonly string[];
  readonly env?: DoctorIo['env'];
  readonly lang?: DoctorIo['lang'];
} = {}): Promise<DoctorCliRun> {
  const upstream = await startFakeUpstream(responder);
  const dir = mkdtempSync(join(tmpdir(), 'ota-doctor-cli-test-'));
  try {
    const file = join(dir, 'proxy.yaml');
    writeFileSync(
      file,
      `listen: 0.0.0.0:8003\nupstream:\n  url: ${upstream.url}\n  timeout_ms: 2000\n${yaml}`,
    );
    let stdout = '';
    let stderr = '';
    const code = await runDoctorCli(['--config', file, ...args], {
      env,
      stdout: { write: (s: string) => (stdout += s), isTTY: false },
      stderr: { write: (s: string) => (stderr += s) },
      ...(lang === undefined ? {} : { lang }),
    });
    return { code, stdout, stderr };
  } finally {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
