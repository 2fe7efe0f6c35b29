/**
 * The real proxy against a real fake upstream, both on 127.0.0.1:0, with the log lines captured.
 * Owns its teardown: `close()` stops the proxy, the upstream and removes the temp folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/runtime/logger.js';
import { startProxy, type ProxyService, type ProxyServiceOptions } from '../../src/runtime/proxy-service.js';
import { startFakeUpstream, type FakeUpstream, type Responder } from './fake-upstream.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface Harness {
  readonly proxy: ProxyService;
  readonly upstream: FakeUpstream;
  /** Port of the proxy's main listener. */
  readonly port: number;
  readonly dir: string;
  readonly logs: LogLine[];
  /** Log lines whose message starts with `ota`. */
  exchanges(): LogLine[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** YAML appended after `listen` and `upstream.url` (which the harness sets). */
  readonly yaml?: string;
  /** Full YAML instead; `{{upstream}}` is replaced with the fake upstream's URL. */
  readonly fullYaml?: string;
  readonly responder?: Responder;
  readonly env?: Record<string, string>;
  /** Files to create in the temp folder before start (e.g. `firmware/catalog.yaml`). */
  readonly files?: Record<string, string | Buffer>;
  readonly now?: () => number;
  readonly afterDrain?: ProxyServiceOptions['afterDrain'];
  readonly upstreamSockets?: ProxyServiceOptions['upstreamSockets'];
}

export async function startHarness({
  yaml = '',
  fullYaml,
  responder,
  env = {},
  files = {},
  now,
  afterDrain,
  upstreamSockets,
}: HarnessOptions = {}): Promise<Harness> {
  const upstream = await startFakeUpstream(responder);
  const dir = mkdtempSync(join(tmpdir(), 'ota-proxy-test-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    const text = fullYaml
      ? fullYaml.replaceAll('{{upstream}}', upstream.url)
      : `listen: 127.0.0.1:0\nupstream:\n  url: ${upstream.url}\n  timeout_ms: 2000\n${yaml}`;
    const configPath = join(dir, 'proxy.yaml');
    writeFileSync(configPath, text);
    const logs: LogLine[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim()) logs.push(JSON.parse(line) as LogLine);
        callback();
      },
    });
    const logger = createLogger({ level: 'debug', pretty: false, destination });
    const proxy = await startProxy({
      configPath,
      env,
      logger,
      watchIntervalMs: 200,
      ...(now ? { now } : {}),
      ...(afterDrain ? { afterDrain } : {}),
      ...(upstreamSockets === undefined ? {} : { upstreamSockets }),
    });
    const port = Number(new URL(proxy.url).port);
    return {
      proxy,
      upstream,
      port,
      dir,
      logs,
      exchanges: () => logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('ota ')),
      async close() {
        await proxy.shutdown();
        await upstream.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
