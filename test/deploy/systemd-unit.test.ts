/**
 * deploy/systemd/: the unit, the config it runs and the environment file it reads, checked against one
 * another (systemd.service(5), systemd.exec(5), systemd.time(7)); no systemd needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { parseConfig } from '../../src/config/parse.js';
import { repoRoot } from './recipe-install.js';

const folder = join(repoRoot, 'deploy/systemd');

/** A unit file as section → key → values (a key may repeat); comments and blank lines dropped. */
function readUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1] ?? '', current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq === -1) throw new Error(`cannot read the unit line ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** systemd.time(7) time spans: "20s", "1min 30s", a bare number of seconds; in milliseconds. */
function timeSpan(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  let total = 0;
  const rest = text.replace(/(\d+)\s*(ms|sec|s|min|m|h)\b\s*/g, (_, n: string, unit: string) => {
    total += Number(n) * (units[unit] ?? Number.NaN);
    return '';
  });
  if (rest !== '') throw new Error(`not a time span: ${text}`);
  return total;
}

/** An EnvironmentFile's KEY=value lines (systemd.exec(5) "EnvironmentFile="). */
function readEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m !== null) env[m[1] ?? ''] = m[2] ?? '';
  }
  return env;
}

const unit = readUnit(readFileSync(join(folder, 'xiaozhi-ota-proxy.service'), 'utf8'));
const service = unit.get('Service') ?? new Map<string, string[]>();
/** The single value of a [Service] key. */
const one = (key: string): string => {
  const values = service.get(key) ?? [];
  assert.equal(values.length, 1, `${key} is set once`);
  return values[0] ?? '';
};
const execStart = one('ExecStart').split(/\s+/);
const configPath = execStart[execStart.indexOf('--config') + 1] ?? '';
const environment = readEnvironment(readFileSync(join(folder, 'environment'), 'utf8'));
const config = parseConfig(readFileSync(join(folder, 'proxy.yaml'), 'utf8'), {
  file: configPath,
  env: environment,
  localAddresses: [],
});

test('runs the built CLI with the installed config, as a dedicated user, from the code folder', () => {
  const workdir = one('WorkingDirectory');
  assert.deepEqual(execStart, [
    '/usr/bin/node',
    `${workdir}/dist/cli.js`,
    '--config',
    '/etc/xiaozhi-ota-proxy/proxy.yaml',
  ]);
  assert.equal(one('User'), 'xiaozhi-ota-proxy');
  assert.equal(one('Group'), 'xiaozhi-ota-proxy');
  assert.equal(one('Type'), 'simple');
  assert.equal(one('EnvironmentFile'), posix.join(posix.dirname(configPath), 'environment'));
  assert.deepEqual(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);
  assert.deepEqual(unit.get('Unit')?.get('After'), ['network-online.target']);
});

test('restarts on failure, reloads on SIGHUP, and waits longer than shutdown_grace_ms on stop', () => {
  assert.equal(one('Restart'), 'on-failure');
  assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.ok(timeSpan(one('TimeoutStopSec')) > config.shutdownGraceMs, 'TimeoutStopSec > shutdown_grace_ms');
  assert.equal(one('KillMode'), 'mixed');
});

test('the config it runs parses with the environment file: fleet on, firmware and data where the unit lets it write', () => {
  assert.equal(config.upstream.target.href, 'http://127.0.0.1:8004');
  assert.deepEqual(config.listen, { host: '0.0.0.0', port: 8003 });
  assert.equal(config.fleet.enabled, true);
  assert.equal(config.fleet.store.kind, 'sqlite');
  const data = config.fleet.store.kind === 'sqlite' ? dirname(config.fleet.store.path) : '';
  const firmware = config.firmware.dir ?? '';
  const writable = one('ReadWritePaths').split(/\s+/);
  assert.deepEqual(writable.sort(), [data, firmware].sort());
  // StateDirectory= creates them, owned by the service's user, before ExecStartPre= and ExecStart= run.
  const state = one('StateDirectory')
    .split(/\s+/)
    .map((d) => `/var/lib/${d}`);
  for (const path of writable) assert.ok(state.includes(path), `${path} is a StateDirectory`);
  // The first start copies the repository's empty catalog there: the proxy refuses to start without one.
  const seed = one('ExecStartPre');
  assert.ok(seed.includes(`test -e ${firmware}/catalog.yaml`), seed);
  assert.ok(
    seed.includes(`cp ${one('WorkingDirectory')}/firmware/catalog.yaml ${firmware}/catalog.yaml`),
    seed,
  );
  assert.ok(existsSync(join(repoRoot, 'firmware/catalog.yaml')));
  // Without the environment file's upstream the config is refused: nothing runs against a guessed server.
  assert.throws(() =>
    parseConfig(readFileSync(join(folder, 'proxy.yaml'), 'utf8'), {
      file: configPath,
      env: {},
      localAddresses: [],
    }),
  );
});

test('is sandboxed: no new privileges, a read-only system, no capabilities, and no W^X ban that would stop V8', () => {
  for (const [key, value] of [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['PrivateDevices', 'yes'],
    ['RestrictSUIDSGID', 'yes'],
    ['CapabilityBoundingSet', ''],
    ['UMask', '0027'],
  ] as const) {
    assert.equal(one(key), value, key);
  }
  assert.equal(service.has('MemoryDenyWriteExecute'), false);
  // AF_NETLINK: os.networkInterfaces() (the loop check) asks the kernel over netlink.
  assert.deepEqual(one('RestrictAddressFamilies').split(/\s+/).sort(), [
    'AF_INET',
    'AF_INET6',
    'AF_NETLINK',
    'AF_UNIX',
  ]);
});

/** systemd-analyze, where this machine has it: it parses the unit as systemd itself does. */
const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
const unitPath = join(folder, 'xiaozhi-ota-proxy.service');

test(
  'systemd-analyze verify reports nothing, and rates its exposure at most 2.0 of 10',
  { skip: !analyze },
  () => {
    const verify = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    assert.deepEqual([verify.status, verify.stdout, verify.stderr], [0, '', '']);
    // --threshold: a non-zero exit when the overall exposure level is above it (tenths).
    const security = spawnSync(
      'systemd-analyze',
      ['security', '--offline=true', '--threshold=20', unitPath],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(security.status, 0, security.stdout);
  },
);

test('systemd time spans', () => {
  assert.equal(timeSpan('20s'), 20_000);
  assert.equal(timeSpan('1min 30s'), 90_000);
  assert.equal(timeSpan('15'), 15_000);
  assert.throws(() => timeSpan('soon'));
});
