/**
 * `xiaozhi-ota-proxy doctor`: what does the OTA endpoint actually send a device, and would it work?
 * Parses the arguments, loads the config, runs the checks and prints the report (text, or `--json`).
 * Exit code: 0 nothing would stop a device, 1 something would, 2 bad arguments or an unusable config.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';
import { chipIdForName } from '../firmware/app-image.js';
import { normalizeMac } from '../match/mac.js';
import { isDottedIntegers } from '../match/version.js';
import { loadConfigFile } from '../runtime/config-file.js';
import { chooseDeviceHost, machineInterfaces } from './device-host.js';
import { DEFAULT_PROBE_DEVICE, type ProbeDevice } from './probe-request.js';
import { renderText } from './report-text.js';
import { runDoctor } from './run-doctor.js';

export interface DoctorIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
}

export const DOCTOR_USAGE = `xiaozhi-ota-proxy doctor — what does the OTA endpoint send a device, and would the device cope?

Sends a firmware-like OTA check to the upstream directly and through the proxy, connects once to each
host the reply sends devices to (never downloads anything), and reports a PASS/WARN/FAIL line per check.

Usage: xiaozhi-ota-proxy doctor [options]

  -c, --config <file>      the proxy's configuration (default config/proxy.yaml)
      --proxy <url>        a running proxy to ask (e.g. http://127.0.0.1:8003); default: an in-process one
      --device-host <host> the host[:port] devices use to reach the proxy (default: public_url's host,
                           else this machine's LAN address); templates such as ws://{host}:8000/… are
                           judged for it
      --device-id <mac>    the Device-Id to send (default ${DEFAULT_PROBE_DEVICE.deviceId})
      --board <name>       the build name (default ${DEFAULT_PROBE_DEVICE.board})
      --version <x.y.z>    the running firmware version (default ${DEFAULT_PROBE_DEVICE.version})
      --chip <target>      chip_model_name (default ${DEFAULT_PROBE_DEVICE.chip})
      --device-ip <ip>     the device's address, sent as X-Forwarded-For (for when.source)
      --timeout-ms <n>     per OTA exchange (default upstream.timeout_ms + 5000, at most 30000)
      --json               machine-readable report
      --color / --no-color colours (default: when stdout is a terminal and NO_COLOR is unset)
  -h, --help

Exit code: 0 when nothing would stop a device, 1 when something would, 2 for bad arguments or config.
`;

/** Runs doctor with `argv` (after the `doctor` word); returns the exit code. */
export async function runDoctorCli(
  argv: readonly string[],
  { env, stdout, stderr }: DoctorIo,
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        proxy: { type: 'string' },
        'device-host': { type: 'string' },
        'device-id': { type: 'string' },
        board: { type: 'string' },
        version: { type: 'string' },
        chip: { type: 'string' },
        'device-ip': { type: 'string' },
        'timeout-ms': { type: 'string' },
        json: { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    stderr.write(`doctor: ${(error as Error).message}\n\n${DOCTOR_USAGE}`);
    return 2;
  }
  if (values.help === true) {
    stdout.write(DOCTOR_USAGE);
    return 0;
  }
  const text = (name: string): string | null =>
    typeof values[name] === 'string' ? (values[name] as string) : null;
  const usage = (message: string): number => {
    stderr.write(`doctor: ${message}\n`);
    return 2;
  };

  const device: Partial<{ -readonly [K in keyof ProbeDevice]: ProbeDevice[K] }> = {};
  const id = text('device-id');
  if (id !== null) {
    const mac = normalizeMac(id);
    if (mac === null) return usage(`--device-id "${id}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
    device.deviceId = mac;
  }
  const board = text('board');
  if (board !== null) {
    if (!/^[A-Za-z0-9._+-]+$/.test(board)) return usage(`--board "${board}" is not a build name`);
    device.board = board;
  }
  const version = text('version');
  if (version !== null) {
    if (!isDottedIntegers(version))
      return usage(`--version "${version}" is not a dotted version such as 1.6.0`);
    device.version = version;
  }
  const chip = text('chip');
  if (chip !== null) {
    if (chipIdForName(chip) === null)
      return usage(`--chip "${chip}" is not an ESP-IDF target (esp32, esp32s3, esp32c3 …)`);
    device.chip = chip.toLowerCase();
  }
  const deviceIp = text('device-ip');
  if (deviceIp !== null) {
    if (isIP(deviceIp) === 0) return usage(`--device-ip "${deviceIp}" is not an IP address`);
    device.ip = deviceIp;
  }
  const proxyUrl = text('proxy');
  if (proxyUrl !== null && !/^https?:\/\/[^/]+\/?$/i.test(proxyUrl))
    return usage(`--proxy "${proxyUrl}" must be http(s)://host:port`);
  const timeoutText = text('timeout-ms');
  const timeoutMs = timeoutText === null ? undefined : Number(timeoutText);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000))
    return usage('--timeout-ms must be a whole number of milliseconds (100–120000)');

  const json = values.json === true;
  let config;
  try {
    config = await loadConfigFile(text('config') ?? 'config/proxy.yaml', { env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (json) {
      stdout.write(
        `${JSON.stringify({ ok: false, error: { code: error.code, issues: error.issues } }, null, 2)}\n`,
      );
    } else {
      stderr.write(`doctor: the configuration cannot be used (${error.code}):\n`);
      for (const issue of error.issues) stderr.write(`  - ${issue.message}\n`);
    }
    return 2;
  }
  const choice = chooseDeviceHost({ option: text('device-host'), config, interfaces: machineInterfaces() });
  if (typeof choice === 'string') return usage(choice);

  const report = await runDoctor({
    config,
    env,
    deviceHost: choice,
    device,
    deviceIp,
    proxyUrl,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  if (json) {
    stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
    const color = values.color === true || (values['no-color'] !== true && !noColor && stdout.isTTY === true);
    stdout.write(renderText(report, { color }));
  }
  return report.ok ? 0 : 1;
}
