/**
 * Starting the benchmark's processes — fake upstream, built proxy, nginx, load generator — each as its
 * own OS process on 127.0.0.1, and waiting until each one answers.
 */
import http from 'node:http';
import net from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nextMessage, request, startChild, type Child } from './child-processes.js';
import type { LoadJob, LoadResult } from './load.js';
import { nginxConfig, type NginxConfigOptions } from './nginx-config.js';
import { createResponseReader, type RawResponse } from '../src/http-wire/response-reader.js';
import type { UpstreamOptions, UpstreamStats } from './upstream.js';

export interface Running {
  readonly child: Child;
  readonly port: number;
}

/** A port that was free a moment ago (for processes that must be told their port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The fake upstream (bench/upstream.ts) in its own process. */
export async function startUpstream(
  root: string,
  logDir: string,
  name: string,
  options: UpstreamOptions,
): Promise<Running> {
  const child = startChild({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', join(root, 'bench', 'upstream.ts'), JSON.stringify(options)],
    cwd: root,
    logFile: join(logDir, `${name}.log`),
    ipc: true,
  });
  const ready = await nextMessage<{ port: number }>(child, 'ready', 30_000);
  return { child, port: ready.port };
}

/** What the fake upstream has seen: requests served, peak concurrency, peak queue. */
export function upstreamStats(upstream: Running): Promise<UpstreamStats> {
  return request<UpstreamStats>(upstream.child, { type: 'stats' }, 'stats', 10_000);
}

export interface ProxyStart {
  readonly cli: string;
  readonly configPath: string;
  readonly port: number;
  /** Write a V8 CPU profile into this folder when the proxy exits. */
  readonly cpuProfileDir?: string | null;
  /** Load bench/probe.mjs (allocation, GC and CPU profile of a window, over IPC). */
  readonly probe?: boolean;
}

/** `--import` arguments that load bench/probe.mjs into a measured Node process. */
export function probeArgs(root: string): string[] {
  return ['--import', pathToFileURL(join(root, 'bench', 'probe.mjs')).href];
}

/** The built proxy (`node <build>/cli.js --config …`), ready once `/readyz` answers 200. */
export async function startBuiltProxy(
  root: string,
  logDir: string,
  name: string,
  { cli, configPath, port, cpuProfileDir = null, probe = false }: ProxyStart,
): Promise<Running> {
  const child = startChild({
    name,
    command: process.execPath,
    args: [
      ...(cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : []),
      ...(probe ? probeArgs(root) : []),
      cli,
      '--config',
      configPath,
    ],
    cwd: root,
    logFile: join(logDir, `${name}.log`),
    ipc: probe,
  });
  await waitFor(child, 30_000, () => httpStatus(port, '/readyz').then((s) => s === 200));
  return { child, port };
}

/** nginx in the foreground with its own prefix folder, config and pid file. */
export async function startNginx(
  nginxPath: string,
  dir: string,
  options: Omit<NginxConfigOptions, 'prefix'>,
): Promise<Running> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, nginxConfig({ ...options, prefix: dir }));
  const child = startChild({
    name: 'nginx',
    command: nginxPath,
    args: ['-p', dir, '-c', configPath, '-g', 'daemon off;'],
    cwd: dir,
    logFile: join(dir, 'nginx-stdout.log'),
  });
  await waitFor(child, 15_000, () => httpStatus(options.port, '/firmware/').then((s) => s > 0));
  return { child, port: options.port };
}

/** The bare Node relay (bench/bare-relay.ts), the reference point of phase 1. */
export async function startBareRelay(root: string, logDir: string, upstreamPort: number): Promise<Running> {
  const child = startChild({
    name: 'bare-relay',
    command: process.execPath,
    args: ['--import', 'tsx', ...probeArgs(root), join(root, 'bench', 'bare-relay.ts'), String(upstreamPort)],
    cwd: root,
    logFile: join(logDir, 'bare-relay.log'),
    ipc: true,
  });
  const ready = await nextMessage<{ port: number }>(child, 'ready', 30_000);
  return { child, port: ready.port };
}

/** The load generator (bench/load.ts) in its own process. */
export async function startLoad(root: string, logDir: string): Promise<Child> {
  const child = startChild({
    name: 'load',
    command: process.execPath,
    args: ['--import', 'tsx', join(root, 'bench', 'load.ts')],
    cwd: root,
    logFile: join(logDir, 'load.log'),
    ipc: true,
  });
  await nextMessage(child, 'ready', 30_000);
  return child;
}

/** Runs one job on the load generator. */
export function runLoad<T extends LoadResult>(load: Child, job: LoadJob, timeoutMs: number): Promise<T> {
  return request<T>(load, { type: 'job', job }, 'result', timeoutMs);
}

/** Polls `ready` every 100 ms until it holds; fails early when the process ends. */
async function waitFor(child: Child, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let ended: number | string | null = null;
  void child.exited.then((code) => (ended = code));
  while (performance.now() < deadline) {
    if (ended !== null) throw new Error(`${child.name} ended (${ended}) while starting:\n${child.tail()}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} was not ready within ${timeoutMs} ms:\n${child.tail()}`);
}

/** The status of a GET, or 0 when nothing answers. */
function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 2000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Sends raw request bytes on a fresh connection and reads the reply as a device would. */
export function rawExchange(
  port: number,
  bytes: Buffer,
  { headRequest = false, timeoutMs = 30_000 } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const reader = createResponseReader({ headRequest });
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    const settle = (state: ReturnType<typeof reader.push>): void => {
      if (state.kind === 'more') return;
      clearTimeout(timer);
      socket.destroy();
      if (state.kind === 'complete') resolve(state.response);
      else reject(new Error(`bad reply from 127.0.0.1:${port}: ${state.reason}`));
    };
    socket.on('data', (chunk: Buffer) => settle(reader.push(chunk)));
    socket.on('end', () => settle(reader.end()));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(bytes);
  });
}
