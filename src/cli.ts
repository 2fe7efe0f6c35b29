#!/usr/bin/env node
/**
 * The command line: the only module that touches `process` (argv, env, signals, exit codes).
 *   xiaozhi-ota-proxy [--config <file>]     run the proxy
 *   xiaozhi-ota-proxy doctor [options]      check a deployment end to end
 *   xiaozhi-ota-proxy validate [--config]   check the config and the catalog offline
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, ProxyError } from './errors.js';
import { loadConfigFile } from './runtime/config-file.js';
import { startProxy, type ProxyService } from './runtime/proxy-service.js';

const USAGE = `xiaozhi-ota-proxy — an OTA endpoint that works, in front of an unmodified xiaozhi-esp32-server

Usage:
  xiaozhi-ota-proxy [--config <file>]   run the proxy (default config: config/proxy.yaml)
  xiaozhi-ota-proxy doctor [options]    check what devices would get (see: doctor --help)
  xiaozhi-ota-proxy validate [--config <file>]
                                        check the config and the firmware catalog offline; exit 0 clean,
                                        1 catalog problems, 2 unusable config (see: validate --help)
  xiaozhi-ota-proxy healthcheck [--config <file>]
                                        exit 0 when the running proxy's /healthz answers (Docker HEALTHCHECK)
  xiaozhi-ota-proxy --help | --version

Signals: SIGTERM/SIGINT stop gracefully (shutdown_grace_ms); SIGHUP reloads the config and the catalog.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'healthcheck') return healthcheck(argv.slice(1));
  if (argv[0] === 'validate') {
    const { runValidateCli } = await import('./runtime/validate.js');
    return runValidateCli(argv.slice(1), {
      env: process.env,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  }
  if (argv[0] === 'doctor') {
    const { runDoctorCli } = await import('./doctor/doctor-cli.js');
    return runDoctorCli(argv.slice(1), { env: process.env, stdout: process.stdout, stderr: process.stderr });
  }
  let values: { config?: string | undefined; help?: boolean | undefined; version?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }

  // Signals are taken from the start: during start-up Node's defaults would kill the process on SIGHUP
  // (a supervisor's reload) and end it with a signal rather than exit 0 on SIGTERM.
  let service: ProxyService | null = null;
  let pendingStop: string | null = null;
  const stop = (signal: string): void => {
    if (service === null) {
      pendingStop = signal;
      return;
    }
    const running = service;
    running.logger.info({ signal }, 'signal received');
    running.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // A SIGHUP during start-up needs no reload: the file is being read right now.
  process.on('SIGHUP', () => void service?.reload('SIGHUP'));
  service = await startProxy({ configPath: values.config ?? 'config/proxy.yaml', env: process.env });
  if (pendingStop !== null) stop(pendingStop);
  return -1;
}

/** Asks the proxy on this machine, at the port its config names, for /healthz: exit 0 when it answers 200. */
async function healthcheck(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' } },
    strict: true,
  });
  const config = await loadConfigFile(values.config ?? 'config/proxy.yaml', { env: process.env });
  const { host, port } = config.listen;
  const target = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const client = config.tls ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    const req = client.request(
      // Loopback to our own listener: the certificate is for the public name, so it is not verified here.
      { host: target, port, path: '/healthz', timeout: 3000, rejectUnauthorized: false },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? 0 : 1);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => {
      process.stderr.write(`healthcheck: ${error.message}\n`);
      resolve(1);
    });
    req.end();
  });
}

function reportStartupError(error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`xiaozhi-ota-proxy: the configuration cannot be used (${error.code}):\n`);
    for (const issue of error.issues) process.stderr.write(`  - ${issue.message}\n`);
    return 2;
  }
  if (error instanceof ProxyError) {
    process.stderr.write(`xiaozhi-ota-proxy: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(
    `xiaozhi-ota-proxy: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportStartupError(error);
  },
);
