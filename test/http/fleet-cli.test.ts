/**
 * The operator's commands as a real child process (`node --import tsx src/cli.ts firmware|rollout|fleet …`)
 * on the files and the SQLite store of a running proxy: `firmware add` (dry run, add with comments kept,
 * refusals that change nothing, exit codes), `firmware ls`, `rollout halt|resume` by board+version and by
 * entry_id (the running proxy withholds the entry within sync_ms), `fleet ls/show/unblock/audit` with
 * `--json` in the API's shapes, an upload through the API and one through the CLI at the same moment both
 * landing, and the audit naming the CLI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideOffer } from '../../src/firmware/select.js';
import { entryId } from '../../src/fleet/entry-id.js';
import { buildAppImage, buildMergedImage } from '../helpers/app-image.js';
import {
  api,
  catalogText,
  COMMENTED_CATALOG,
  device,
  fleetOf,
  folderBytes,
  seen,
  startFleetProxy,
} from '../helpers/fleet-api.js';
import { waitFor } from '../helpers/fleet-service.js';
import type { Harness } from '../helpers/proxy-harness.js';
import { runCli as runCliProcess, type CliRun } from '../helpers/cli-process.js';

const BREAD = entryId('bread-compact-wifi', '1.7.0');
const A = 'aa:bb:cc:00:00:0a';
const B = 'aa:bb:cc:00:00:0b';

/** English help and messages (LC_ALL=C.UTF-8, no LANG): the assertions read those. */
function runCli(args: readonly string[]): Promise<CliRun> {
  return runCliProcess(args, { env: { LC_ALL: 'C.UTF-8', LANG: undefined }, timeoutMs: 30_000 });
}

describe('the operator CLI on a running proxy’s files and SQLite store', () => {
  let h: Harness;
  let config: string;
  const cli = (...args: string[]): Promise<CliRun> => runCli([...args, '--config', config]);

  before(async () => {
    h = await startFleetProxy('data/fleet.db');
    config = join(h.dir, 'proxy.yaml');
    await seen(h, [device(A), device(B, { version: '1.7.0', chip: 'esp32c3' })]);
    writeFileSync(join(h.dir, 'new.bin'), buildAppImage({ version: '2.2.0', size: 2048 }));
    writeFileSync(join(h.dir, 'merged.bin'), buildMergedImage({ version: '2.3.0' }));
  });
  after(() => h.close());

  test('firmware add --dry-run shows what would be added and writes nothing', async () => {
    const bytes = folderBytes(h);
    const run = await cli(
      'firmware',
      'add',
      join(h.dir, 'new.bin'),
      '--board',
      'cli-board',
      '--dry-run',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const shown = JSON.parse(run.stdout) as { dry_run: boolean; entry: Record<string, unknown> };
    assert.equal(shown.dry_run, true);
    assert.equal(shown.entry.version, '2.2.0');
    assert.equal(shown.entry.chip, 'esp32s3');
    assert.equal(shown.entry.file, 'cli-board-2.2.0.bin');
    assert.deepEqual(folderBytes(h), bytes);
  });

  test('firmware add appends with every comment kept; the running proxy reloads and offers it', async () => {
    const run = await cli(
      'firmware',
      'add',
      join(h.dir, 'new.bin'),
      '--board',
      'bread-compact-wifi',
      '--rollout',
      '100',
      '--devices',
      A,
      '--min-version',
      '1.0.0',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^added bread-compact-wifi 2\.2\.0 \(esp32s3, 2048 bytes\) as bread-compact-wifi-2\.2\.0\.bin/,
    );
    const text = catalogText(h);
    assert.ok(text.startsWith(COMMENTED_CATALOG), text);
    assert.equal(
      text.slice(COMMENTED_CATALOG.length),
      `- board: bread-compact-wifi\n  version: "2.2.0"\n  file: bread-compact-wifi-2.2.0.bin\n  rollout: 100\n  devices: [ ${A} ]\n  min_version: "1.0.0"\n`,
    );
    await waitFor('the running proxy to reload its catalog', () =>
      (h.proxy.catalogStore()?.current()?.entries ?? []).some((e) => e.version === '2.2.0'),
    );
    const catalog = h.proxy.catalogStore()?.current();
    assert.ok(catalog);
    const offer = decideOffer({
      catalog,
      device: device(A),
      origin: { scheme: 'http', host: '10.0.0.1', port: 8003 },
      publicUrl: 'auto',
    });
    assert.equal(offer.kind === 'offer' ? offer.version : offer.reason, '2.2.0');
  });

  test('firmware add refusals exit non-zero, say why and change nothing', async () => {
    const bytes = folderBytes(h);
    const merged = await cli('firmware', 'add', join(h.dir, 'merged.bin'), '--board', 'z');
    assert.equal(merged.code, 1);
    assert.match(merged.stderr, /^error: refused: the image is a merged flash image/);
    const twice = await cli('firmware', 'add', join(h.dir, 'new.bin'), '--board', 'bread-compact-wifi');
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already offers bread-compact-wifi 2\.2\.0/);
    const noBoard = await cli('firmware', 'add', join(h.dir, 'new.bin'));
    assert.equal(noBoard.code, 2);
    assert.match(noBoard.stderr, /--board is required/);
    const missing = await cli('firmware', 'add', join(h.dir, 'nope.bin'), '--board', 'x');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope\.bin: ENOENT/);
    const wrongOption = await cli('firmware', 'ls', '--board', 'x');
    assert.equal(wrongOption.code, 2);
    assert.match(wrongOption.stderr, /firmware ls does not take --board/);
    assert.deepEqual(folderBytes(h), bytes);
  });

  test('firmware ls: a table, and --json in the API’s shape', async () => {
    const run = await cli('firmware', 'ls');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ENTRY_ID\s+BOARD\s+VERSION\s+FILE\s+CHIP\s+ROLLOUT\s+HALTED\s+CHECK$/);
    assert.match(
      run.stdout,
      new RegExp(
        `^${BREAD}\\s+bread-compact-wifi\\s+1\\.7\\.0\\s+bread-1\\.7\\.0\\.bin\\s+esp32s3\\s+100%\\s+no\\s+ok$`,
        'm',
      ),
    );
    assert.match(
      run.stdout,
      /lost-board\s+1\.0\.0\s+missing\.bin\s+-\s+-\s+no\s+skipped: .*missing\.bin does not exist/,
    );
    const json = await cli('firmware', 'ls', '--json');
    const fromApi = await api(h, 'GET', '/catalog');
    assert.deepEqual(JSON.parse(json.stdout), fromApi.body);
  });

  test('rollout halt by board and version: the running proxy withholds it within sync_ms; resume by entry_id', async () => {
    const halted = await cli('rollout', 'halt', 'bread-compact-wifi', '1.7.0', '--reason', 'field reports');
    assert.equal(halted.code, 0, halted.stderr);
    assert.match(halted.stdout, new RegExp(`^halted bread-compact-wifi 1\\.7\\.0 \\(${BREAD}\\)`));
    const fleet = fleetOf(h);
    const catalog = h.proxy.catalogStore()?.current();
    assert.ok(catalog);
    const decide = () => {
      const plan = fleet.beginCheck({ device: device('aa:bb:cc:00:00:0c'), at: Date.now(), track: false });
      return plan.decide((gate) =>
        decideOffer({
          catalog,
          device: device('aa:bb:cc:00:00:0c'),
          origin: { scheme: 'http', host: 'h', port: 80 },
          publicUrl: 'auto',
          gate,
        }),
      );
    };
    await waitFor('the proxy to see the halt', () => {
      const d = decide();
      return d.kind === 'none' && d.reason === 'halted';
    });
    const again = await cli('rollout', 'halt', BREAD);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /halted already/);
    const resumed = await cli('rollout', 'resume', BREAD, '--json');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((JSON.parse(resumed.stdout) as { halted: unknown }).halted, null);
    await waitFor('the proxy to see the resume', () => decide().kind === 'offer');
    const unknown = await cli('rollout', 'resume', 'no-such-board', '9.9.9');
    assert.equal(unknown.code, 1);
  });

  test('fleet ls / show / unblock: tables and --json equal to the API’s', async () => {
    const ls = await cli('fleet', 'ls', '--sort', 'id');
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^ID\s+BOARD\s+VERSION\s+CHIP\s+LAST_SEEN\s+ADDRESS\s+UPDATE\s+BLOCKED$/m);
    assert.match(
      ls.stdout,
      new RegExp(
        `^${A}\\s+bread-compact-wifi\\s+1\\.6\\.0\\s+esp32s3\\s+\\d+[smh] ago\\s+192\\.168\\.1\\.50`,
        'm',
      ),
    );
    assert.match(ls.stdout, /^2 of 2 devices$/m);
    const json = await cli('fleet', 'ls', '--chip', 'esp32c3', '--json');
    assert.deepEqual(JSON.parse(json.stdout), (await api(h, 'GET', '/devices?chip=esp32c3')).body);
    const bad = await cli('fleet', 'ls', '--limit', '0');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /`limit` must be a whole number from 1 to 500/);

    const show = await cli('fleet', 'show', A.toUpperCase());
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^id:\\s+${A}$`, 'm'));
    assert.match(show.stdout, /^OFFERED\s+ENTRY_ID\s+FROM\s+TO\s+#\s+STATE/m);
    const showJson = await cli('fleet', 'show', A, '--json');
    assert.deepEqual(JSON.parse(showJson.stdout), (await api(h, 'GET', `/devices/${A}`)).body);
    const unknown = await cli('fleet', 'show', 'aa:bb:cc:ff:ff:ff');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no device aa:bb:cc:ff:ff:ff has been seen/);

    const unblock = await cli('fleet', 'unblock', B);
    assert.equal(unblock.code, 0, unblock.stderr);
    const notBlocked = await cli('fleet', 'unblock', B, BREAD);
    assert.equal(notBlocked.code, 1);
    assert.match(notBlocked.stderr, /not blocked/);
  });

  test('an upload through the API and one through the CLI at the same moment both land, whole', async () => {
    writeFileSync(join(h.dir, 'race.bin'), buildAppImage({ version: '3.1.0', seed: 9 }));
    const [viaApi, viaCli] = await Promise.all([
      api(h, 'POST', '/firmware?board=race-api', {
        body: buildAppImage({ version: '3.0.0', seed: 8 }),
        type: 'application/octet-stream',
      }),
      cli('firmware', 'add', join(h.dir, 'race.bin'), '--board', 'race-cli'),
    ]);
    assert.equal(viaApi.status, 201);
    assert.equal(viaCli.code, 0, viaCli.stderr);
    const text = catalogText(h);
    assert.match(text, /- board: race-api\n {2}version: "3\.0\.0"\n {2}file: race-api-3\.0\.0\.bin\n/);
    assert.match(text, /- board: race-cli\n {2}version: "3\.1\.0"\n {2}file: race-cli-3\.1\.0\.bin\n/);
  });

  test('the audit names the CLI for its changes and the API for its own', async () => {
    const run = await cli('fleet', 'audit', '--json');
    assert.equal(run.code, 0, run.stderr);
    const items = (
      JSON.parse(run.stdout) as {
        items: { action: string; target: string; means: string; address: string | null }[];
      }
    ).items;
    const byCli = items.filter((i) => i.means === 'cli').map((i) => i.action);
    for (const action of ['firmware.upload', 'rollout.halt', 'rollout.resume', 'device.unblock'])
      assert.ok(byCli.includes(action), `${action} by cli in ${JSON.stringify(byCli)}`);
    assert.ok(items.filter((i) => i.means === 'cli').every((i) => i.address === null));
    assert.ok(
      items.some((i) => i.means === 'api' && i.action === 'firmware.upload' && i.address === '127.0.0.1'),
    );
    const table = await cli('fleet', 'audit');
    assert.match(table.stdout, /^WHEN\s+WHAT\s+TARGET\s+BY\s+ADDRESS$/m);
  });

  test('help in English and Chinese; unknown commands exit 2', async () => {
    const en = await runCli(['fleet', '--help']);
    assert.equal(en.code, 0);
    assert.match(en.stdout, /^Usage:$/m);
    assert.match(en.stdout, /firmware add <image> --board <glob>/);
    const zh = await runCli(['fleet', '--help', '--lang', 'zh']);
    assert.equal(zh.code, 0);
    assert.match(zh.stdout, /^用法：$/m);
    assert.match(zh.stdout, /运维命令/);
    const unknown = await runCli(['fleet', 'dance']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "fleet dance"/);
  });
});

test('the fleet commands refuse a memory store and a fleet that is off, saying why', async () => {
  const h = await startFleetProxy('memory');
  try {
    const config = join(h.dir, 'proxy.yaml');
    const run = await runCli(['fleet', 'ls', '--config', config]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /fleet\.store is memory/);
    // The catalog commands do not need the store.
    assert.equal((await runCli(['firmware', 'ls', '--config', config])).code, 0);
  } finally {
    await h.close();
  }
  const off = await startFleetProxy(null);
  try {
    const run = await runCli(['rollout', 'halt', BREAD, '--config', join(off.dir, 'proxy.yaml')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /fleet is off/);
  } finally {
    await off.close();
  }
});
