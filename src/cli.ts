#!/usr/bin/env node
/**
 * The command line: the only module that touches `process` (argv, env, signals, exit codes).
 *   xiaozhi-ota-proxy [--config <file>]     run the proxy
 *   xiaozhi-ota-proxy doctor [options]      check a deployment end to end
 *   xiaozhi-ota-proxy validate [--config]   check the config and the catalog offline
 *   xiaozhi-ota-proxy firmware|rollout|fleet …   the operator's commands (runtime/operator-cli.ts)
 * Help texts and doctor's report speak the locale's language (`LC_ALL`, `LC_MESSAGES`, `LANG`) unless
 * `--lang` says otherwise: English, or Simplified Chinese for any `zh` locale.
 */
import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { parseArgs } from 'node:util';
import { ConfigError, ProxyError } from './errors.js';
import { languageFromEnv, parseLanguageTag, type Language } from './i18n/languages.js';
import { t } from './i18n/translate.js';
import { loadConfigFile } from './runtime/config-file.js';
import { watchTerminal, type TerminalWatch } from './runtime/controlling-terminal.js';
import { startProxy, type ProxyService } from './runtime/proxy-service.js';

/** The language of the locale this process runs in; `--lang` overrides it. */
const localeLanguage: Language = languageFromEnv(process.env);

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
  if (argv[0] === 'firmware' || argv[0] === 'rollout' || argv[0] === 'fleet') {
    const { runOperatorCli } = await import('./runtime/operator-cli.js');
    return runOperatorCli(argv, {
      env: process.env,
      stdout: process.stdout,
      stderr: process.stderr,
      lang: localeLanguage,
    });
  }
  if (argv[0] === 'doctor') {
    const { runDoctorCli } = await import('./doctor/doctor-cli.js');
    return runDoctorCli(argv.slice(1), {
      env: process.env,
      stdout: process.stdout,
      stderr: process.stderr,
      lang: localeLanguage,
    });
  }
  let values: {
    config?: string | undefined;
    help?: boolean | undefined;
    version?: boolean | undefined;
    lang?: string | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        lang: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${t(localeLanguage, 'cli.usage')}`);
    return 2;
  }
  const lang = values.lang === undefined ? localeLanguage : parseLanguageTag(values.lang);
  if (lang === null) {
    process.stderr.write(`${t(localeLanguage, 'cli.bad-language', { value: values.lang ?? '' })}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(t(lang, 'cli.usage'));
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
  let stopping = false;
  const stop = (signal: string): void => {
    if (service === null) {
      pendingStop = signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    terminal?.stop();
    const running = service;
    running.logger.info({ signal }, signal === 'terminal closed' ? 'the terminal closed' : 'signal received');
    const hungUp = signal === 'terminal closed';
    running.shutdown().then(
      () => (hungUp ? endByHangUp() : process.exit(0)),
      (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed');
        if (hungUp) endByHangUp();
        else process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // Started from a terminal (`npm start`): closing that terminal ends the proxy, as it ends every program
  // run in it. Elsewhere (systemd, Docker: no terminal) SIGHUP only ever means reload.
  const terminal: TerminalWatch | null =
    process.stdin.isTTY === true
      ? watchTerminal({ attached: () => isatty(0), onGone: () => stop('terminal closed') })
      : null;
  process.on('SIGHUP', () => {
    if (terminal?.gone() === true) stop('terminal closed');
    // A SIGHUP during start-up needs no reload: the file is being read right now.
    else void service?.reload('SIGHUP');
  });
  service = await startProxy({
    configPath: values.config ?? 'config/proxy.yaml',
    env: process.env,
    probeUpstream: true,
  });
  if (pendingStop !== null) stop(pendingStop);
  return -1;
}

/**
 * Ends the process the way a program in a closed terminal ends: killed by SIGHUP (status 129 to a shell),
 * once the shutdown is done. Not `process.exit()`: at exit Node restores the terminal's settings and aborts
 * (SIGABRT) when the terminal, hung up, refuses them (node.cc ResetStdio). With our listener removed,
 * SIGHUP's default action applies.
 */
function endByHangUp(): void {
  process.removeAllListeners('SIGHUP');
  process.kill(process.pid, 'SIGHUP');
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
