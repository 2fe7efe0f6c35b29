/**
 * `xiaozhi-ota-proxy doctor`: what does the OTA endpoint actually send a device, and would it work?
 * Parses the arguments, loads the config, runs the checks and prints the report (text, or `--json`).
 * Exit code: 0 nothing would stop a device, 1 something would, 2 bad arguments or an unusable config.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';
import { chipIdForName } from '../firmware/app-image.js';
import { DEFAULT_LANGUAGE, parseLanguageTag, type Language } from '../i18n/languages.js';
import { t, translator } from '../i18n/translate.js';
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
  /** The language when `--lang` does not say (cli.ts takes it from the locale); default English. */
  readonly lang?: Language;
}

/** `doctor --help` in `lang`. */
export function doctorUsage(lang: Language = DEFAULT_LANGUAGE): string {
  return t(lang, 'doctor.usage', {
    template: 'ws://{host}:8000/…',
    deviceId: DEFAULT_PROBE_DEVICE.deviceId,
    board: DEFAULT_PROBE_DEVICE.board,
    version: DEFAULT_PROBE_DEVICE.version,
    chip: DEFAULT_PROBE_DEVICE.chip,
  });
}

const OPTIONS = {
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
  lang: { type: 'string' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs doctor with `argv` (after the `doctor` word); returns the exit code. */
export async function runDoctorCli(
  argv: readonly string[],
  { env, stdout, stderr, lang: defaultLang = DEFAULT_LANGUAGE }: DoctorIo,
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    // The arguments did not parse; a readable `--lang` still chooses the language of the usage text.
    const { values: loose } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      strict: false,
      allowPositionals: true,
    });
    const lang = (typeof loose.lang === 'string' ? parseLanguageTag(loose.lang) : null) ?? defaultLang;
    stderr.write(`doctor: ${(error as Error).message}\n\n${doctorUsage(lang)}`);
    return 2;
  }
  const text = (name: string): string | null =>
    typeof values[name] === 'string' ? (values[name] as string) : null;
  const usage = (message: string): number => {
    stderr.write(`doctor: ${message}\n`);
    return 2;
  };
  const langOption = text('lang');
  const lang = langOption === null ? defaultLang : parseLanguageTag(langOption);
  if (lang === null) return usage(t(defaultLang, 'cli.bad-language', { value: langOption ?? '' }));
  const say = translator(lang);
  if (values.help === true) {
    stdout.write(doctorUsage(lang));
    return 0;
  }

  const device: Partial<{ -readonly [K in keyof ProbeDevice]: ProbeDevice[K] }> = {};
  const id = text('device-id');
  if (id !== null) {
    const mac = normalizeMac(id);
    if (mac === null) return usage(say('doctor.cli.bad-device-id', { value: id }));
    device.deviceId = mac;
  }
  const board = text('board');
  if (board !== null) {
    if (!/^[A-Za-z0-9._+-]+$/.test(board)) return usage(say('doctor.cli.bad-board', { value: board }));
    device.board = board;
  }
  const version = text('version');
  if (version !== null) {
    if (!isDottedIntegers(version)) return usage(say('doctor.cli.bad-version', { value: version }));
    device.version = version;
  }
  const chip = text('chip');
  if (chip !== null) {
    if (chipIdForName(chip) === null) return usage(say('doctor.cli.bad-chip', { value: chip }));
    device.chip = chip.toLowerCase();
  }
  const deviceIp = text('device-ip');
  if (deviceIp !== null) {
    if (isIP(deviceIp) === 0) return usage(say('doctor.cli.bad-device-ip', { value: deviceIp }));
    device.ip = deviceIp;
  }
  const proxyUrl = text('proxy');
  if (proxyUrl !== null && !/^https?:\/\/[^/]+\/?$/i.test(proxyUrl))
    return usage(say('doctor.cli.bad-proxy', { value: proxyUrl }));
  const timeoutText = text('timeout-ms');
  const timeoutMs = timeoutText === null ? undefined : Number(timeoutText);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000))
    return usage(say('doctor.cli.bad-timeout'));

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
      stderr.write(`doctor: ${say('doctor.cli.config-unusable', { code: error.code })}\n`);
      for (const issue of error.issues) stderr.write(`  - ${issue.message}\n`);
    }
    return 2;
  }
  const choice = chooseDeviceHost({
    option: text('device-host'),
    config,
    interfaces: machineInterfaces(),
    t: say,
  });
  if (typeof choice === 'string') return usage(choice);

  const report = await runDoctor({
    config,
    env,
    deviceHost: choice,
    device,
    deviceIp,
    proxyUrl,
    lang,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  if (json) {
    stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
    const color = values.color === true || (values['no-color'] !== true && !noColor && stdout.isTTY === true);
    stdout.write(renderText(report, { color, lang }));
  }
  return report.ok ? 0 : 1;
}
