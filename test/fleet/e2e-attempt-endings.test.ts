/**
 * Every ending of an update attempt (docs/fleet.md "Update attempts"), end to end: v2 device simulators
 * check, download and reboot through the real proxy, a fake xiaozhi server and a SQLite store. The halt
 * threshold is out of reach here, so a device's block is tested alone (the halt has its own file).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { entryId } from '../../src/fleet/entry-id.js';
import { startFleetProxy, fileOf, type FleetProxy } from '../helpers/fleet-proxy.js';
import { downloadImage, V2Device } from '../helpers/v2-device.js';

const MAIN = { board: 'bread-compact-wifi', version: '1.7.0', size: 1024 * 1024 };
const EXTERNAL = {
  board: 'ext-board',
  version: '1.7.0',
  extra: '  url: "https://cdn.example.com/ext-1.7.0.bin"',
};
const WITHDRAWN = { board: 'wd-board', version: '1.7.0' };

const TOKENED = /^http:\/\/127\.0\.0\.1:\d+\/firmware\/([0-9a-f]{12}\.[A-Za-z0-9_-]{16})\/(.+)$/;

describe('attempt endings through the real proxy (SQLite)', () => {
  let p: FleetProxy;
  let n = 0;
  const device = (version = '1.6.0', board = MAIN.board): V2Device =>
    new V2Device({
      mac: `02:00:00:00:10:${(++n).toString(16).padStart(2, '0')}`,
      version,
      port: p.port,
      board,
    });

  before(async () => {
    p = await startFleetProxy({
      images: [MAIN, EXTERNAL, WITHDRAWN],
      yaml: 'fallback:\n  enabled: false\n',
      fleetYaml:
        '  silent_after_download_minutes: 0.05\n  attempt_timeout_hours: 0.004\n  halt:\n    min_failed_devices: 100\n',
    });
  });
  after(() => p.close());

  test('offered → downloading → downloaded → installed, with a tokened URL that names the device', async () => {
    const d = device();
    const first = await d.check();
    assert.equal(first.status, 200);
    const url = first.reply?.firmware?.url ?? '';
    const match = TOKENED.exec(url);
    assert.ok(match, `a tokened URL: ${url}`);
    assert.equal(match[1]?.slice(0, 12), d.mac.replaceAll(':', ''));
    assert.equal(match[2], fileOf(MAIN));
    const offered = await p.attemptIn(d.mac, 'offered');
    assert.equal(offered.from_version, '1.6.0');
    assert.equal(offered.to_version, '1.7.0');
    assert.equal(offered.entry_id, entryId(MAIN.board, MAIN.version));

    // A download that stays open half-way is `downloading`; the next one completes.
    const target = new URL(url);
    assert.equal(
      await downloadImage({ port: p.port, path: target.pathname, host: target.host, cutAfterHalf: true }),
      'cut',
    );
    await p.attemptIn(d.mac, 'downloading');
    assert.equal(await downloadImage({ port: p.port, path: target.pathname, host: target.host }), 'complete');
    const downloaded = await p.attemptIn(d.mac, 'downloaded');
    assert.equal(downloaded.download_bytes, 1024 * 1024);

    d.version = '1.7.0';
    const rebooted = await d.boot();
    assert.equal(rebooted.offered, null, 'nothing newer to offer');
    const installed = await p.attemptIn(d.mac, 'installed');
    assert.equal(installed.counted, false);
    const record = (await p.show(d.mac))?.device;
    assert.equal(record?.version, '1.7.0');
    assert.equal(record?.checks, 2);
    assert.equal(record?.transport, 'websocket');
    assert.equal(record?.flash_size, 16_777_216);
    assert.equal(record?.language, 'zh-CN');
    assert.ok(p.h.logs.some((l) => l.msg === 'update installed' && l.device === d.mac));
  });

  test('a rejected image fails three times (rejected-or-rolled-back), then the device is blocked and offered it no more', async () => {
    const d = device();
    for (let i = 1; i <= 3; i++) {
      const boot = await d.boot({ after: 'reject' });
      assert.equal(boot.downloaded, 'complete', `boot ${i} downloads`);
      assert.equal(boot.version, '1.6.0', 'rolled back');
    }
    // The check that reveals the third failure is already answered without the entry.
    const fourth = await d.check();
    assert.equal(fourth.status, 200);
    assert.equal(fourth.reply?.firmware?.url ?? '', '', 'no offer');
    await p.attemptIn(d.mac, 'failed', { number: 3 });
    const shown = await p.show(d.mac);
    const failed = shown?.attempts.filter((a) => a.state === 'failed') ?? [];
    assert.deepEqual(
      failed.map((a) => [a.number, a.reason]),
      [
        [3, 'rejected-or-rolled-back'],
        [2, 'rejected-or-rolled-back'],
        [1, 'rejected-or-rolled-back'],
      ],
    );
    assert.deepEqual(
      shown?.device.blocked.map((b) => [b.entry_id, b.reason, b.failures]),
      [[entryId(MAIN.board, MAIN.version), 'rejected-or-rolled-back', 3]],
    );
    const blocked = p.h.logs.find((l) => l.msg === 'device blocked' && l.device === d.mac);
    assert.equal(blocked?.detail, 'blocked: failed 3 times (rejected-or-rolled-back)');
    assert.equal(p.h.logs.filter((l) => l.msg === 'update failed' && l.device === d.mac).length, 3);
    const line = p.h.exchanges().at(-1);
    assert.match(String((line?.firmware as { reason?: string }).reason), /^blocked: .*failed 3 times/);
  });

  test('an offer whose URL the device never fetches fails as not-downloaded', async () => {
    const d = device();
    await d.boot({ download: 'skip' });
    await p.attemptIn(d.mac, 'offered');
    await d.boot({ download: 'skip' });
    const failed = await p.attemptIn(d.mac, 'failed', { number: 1 });
    assert.equal(failed.reason, 'not-downloaded');
    assert.equal(failed.counted, true);
  });

  test('a download cut half-way fails as download-aborted', async () => {
    const d = device();
    assert.equal((await d.boot({ download: 'cut' })).downloaded, 'cut');
    await p.attemptIn(d.mac, 'downloading');
    await d.boot({ download: 'skip' });
    const ended = await p.attemptIn(d.mac, 'failed', { number: 1 });
    assert.equal(ended.reason, 'download-aborted');
    assert.ok(ended.download_bytes > 0 && ended.download_bytes < 1024 * 1024, String(ended.download_bytes));
  });

  test('a reset after the last byte is download-aborted, not downloaded', async () => {
    const d = device();
    const url = (await d.check()).reply?.firmware?.url ?? '';
    const target = new URL(url);
    await downloadImage({ port: p.port, path: target.pathname, host: target.host, resetAfterLastByte: true });
    await p.attemptIn(d.mac, 'downloading');
    await d.boot({ download: 'skip' });
    const ended = await p.attemptIn(d.mac, 'failed', { number: 1 });
    assert.equal(ended.reason, 'download-aborted');
    assert.equal(ended.download_bytes, 1024 * 1024, 'every byte was written');
  });

  test('a device that moves to an unrelated version supersedes the attempt (not counted)', async () => {
    const d = device();
    await d.boot({ download: 'skip' });
    await p.attemptIn(d.mac, 'offered');
    d.version = '1.6.5';
    await d.check();
    const first = await p.attemptIn(d.mac, 'superseded', { number: 1 });
    assert.equal(first.counted, false);
    // The same check offered the entry again: the next attempt starts from the new version.
    const next = await p.attemptIn(d.mac, 'offered', { number: 2 });
    assert.equal(next.from_version, '1.6.5');
  });

  test('an external url the device never reports back from fails as offer-unreachable', async () => {
    const d = device('1.6.0', EXTERNAL.board);
    const first = await d.check();
    assert.equal(
      first.reply?.firmware?.url,
      'https://cdn.example.com/ext-1.7.0.bin',
      'no token on an external url',
    );
    await p.attemptIn(d.mac, 'offered');
    await d.check();
    const ended = await p.attemptIn(d.mac, 'failed', { number: 1 });
    assert.equal(ended.reason, 'offer-unreachable');
  });

  test('to_version on a non-200 answer leaves the attempt open; from_version then is rolled-back', async () => {
    const d = device();
    await d.boot();
    await p.attemptIn(d.mac, 'downloaded');
    p.xiaozhi.failing.add(d.mac);
    d.version = '1.7.0';
    assert.equal((await d.check()).status, 502);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal((await p.show(d.mac))?.attempts[0]?.state, 'downloaded', 'still open after a 502');
    p.xiaozhi.failing.delete(d.mac);
    d.version = '1.6.0';
    await d.check();
    const ended = await p.attemptIn(d.mac, 'failed', { number: 1 });
    assert.equal(ended.reason, 'rolled-back');
  });

  test('no check within silent_after_download_minutes after a complete download: silent, counted', async () => {
    const d = device();
    const boot = await d.boot({ after: 'brick' });
    assert.equal(boot.bricked, true);
    const silent = await p.attemptIn(d.mac, 'silent', { ms: 10_000 });
    assert.equal(silent.reason, 'silent');
    assert.equal(silent.counted, true);
  });

  test('no event within attempt_timeout_hours in any other case: silent (timed-out), not counted', async () => {
    const d = device();
    await d.check();
    const timedOut = await p.attemptIn(d.mac, 'silent', { ms: 25_000 });
    assert.equal(timedOut.reason, 'timed-out');
    assert.equal(timedOut.counted, false);
  });

  test('an offer taken back before any download (the entry halted) ends withdrawn, not counted', async () => {
    const d = device('1.6.0', WITHDRAWN.board);
    await d.check();
    await p.attemptIn(d.mac, 'offered');
    const withdrawnId = entryId(WITHDRAWN.board, WITHDRAWN.version);
    assert.equal(
      await p.fleet.halt({ entryId: withdrawnId, ...WITHDRAWN }, { means: 'api', address: '127.0.0.1' }),
      true,
    );
    const next = await d.check();
    assert.equal(next.reply?.firmware?.url ?? '', '');
    const ended = await p.attemptIn(d.mac, 'withdrawn');
    assert.equal(ended.counted, false);
  });

  test('activation: the re-check in the same boot goes on with the same attempt; a skipped download then fails once', async () => {
    const d = device();
    p.xiaozhi.unactivated.add(d.mac);
    const boot = await d.boot({ download: 'skip' });
    assert.equal(boot.checks.length, 2, 'checked, activated, checked again');
    assert.ok(boot.checks[0]?.reply?.activation);
    assert.equal(boot.checks[1]?.reply?.activation, undefined);
    await p.attemptIn(d.mac, 'offered');
    const shown = await p.show(d.mac);
    assert.equal(shown?.attempts.length, 1, 'one attempt across the activation re-check');
    assert.equal(shown?.device.activation_pending, false);
    await d.boot({ download: 'skip' });
    const ended = await p.attemptIn(d.mac, 'failed', { number: 1 });
    assert.equal(ended.reason, 'not-downloaded');
    assert.equal((await p.show(d.mac))?.attempts.filter((a) => a.state === 'failed').length, 1);
  });

  test('activation with a failed download: the re-check in the same boot is a real second failure', async () => {
    const d = device();
    p.xiaozhi.unactivated.add(d.mac);
    const boot = await d.boot({ download: 'cut' });
    assert.equal(boot.checks.length, 2);
    const first = await p.attemptIn(d.mac, 'failed', { number: 1 });
    assert.equal(first.reason, 'download-aborted');
    assert.equal(first.counted, true);
    await p.attemptIn(d.mac, 'downloading', { number: 2 });
  });
});
