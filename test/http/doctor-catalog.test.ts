/** doctor reports every catalog entry's image check: entries in use with what was validated, skipped ones with why, and the offer for its device. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAppImage, buildMergedImage } from '../helpers/app-image.js';
import { runDoctorAgainst } from '../helpers/doctor-harness.js';

const CATALOG = [
  '- board: bread-compact-wifi',
  '  version: 1.7.0',
  '  file: xiaozhi-1.7.0.bin',
  '- board: bread-compact-wifi',
  '  version: 1.8.0',
  '  file: merged-binary.bin',
  '- board: bread-compact-wifi',
  '  version: 1.9.0',
  '  file: wrong-version.bin',
  '',
].join('\n');

describe('doctor: the firmware catalog', () => {
  test('valid entries pass with their image facts, invalid ones warn with the reason; the offer is served by the proxy', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-default-post' }),
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nfirmware:\n  dir: firmware\n',
      files: {
        'firmware/catalog.yaml': CATALOG,
        'firmware/xiaozhi-1.7.0.bin': buildAppImage({ version: '1.7.0' }),
        'firmware/merged-binary.bin': buildMergedImage({ version: '1.8.0' }),
        'firmware/wrong-version.bin': buildAppImage({ version: '1.9.1' }),
      },
    });
    const loaded = run.find('catalog.loaded');
    assert.equal(loaded.status, 'pass');
    assert.match(loaded.title, /^1 catalog entry in use .*2 skipped$/);
    const entry = run.find('catalog.entry[0]');
    assert.equal(entry.status, 'pass');
    assert.deepEqual(entry.detail, [
      'app image for esp32s3, embedded version 1.7.0 (matches), project xiaozhi, IDF v5.4.1',
      '1024 bytes, sha256 b5f4f55bddcbf192…',
      'rollout 100 %',
    ]);
    // Each skipped entry with its reason (the position, in a temporary folder, cut off).
    const issue = (id: string): [string, string] => {
      const found = run.find(id);
      return [found.status, found.title.replace(/ at \/\S+:\d+:\d+$/, '')];
    };
    assert.deepEqual(issue('catalog.issue[0]'), [
      'warn',
      '`catalog[1]` (bread-compact-wifi 1.8.0) is skipped: merged-binary.bin is a merged flash image (bootloader, partition table and app) or a bootloader, which a device cannot install over OTA; ship the application image instead (e.g. xiaozhi.bin from the build folder, not merged-binary.bin)',
    ]);
    assert.deepEqual(issue('catalog.issue[1]'), [
      'warn',
      '`catalog[2]` (bread-compact-wifi 1.9.0) is skipped: wrong-version.bin carries version "1.9.1" but the entry says "1.9.0"; devices would install it, report "1.9.1", be offered "1.9.0" again and re-flash forever',
    ]);
    assert.equal(
      run.find('firmware.offer').title,
      'devices running 1.6.0 will download 1.7.0 from http://192.168.1.10:8003/firmware/xiaozhi-1.7.0.bin',
    );
    const url = run.find('firmware.url');
    assert.equal(url.status, 'pass');
    assert.equal(url.title, 'served by the proxy from firmware.dir (xiaozhi-1.7.0.bin)');
  });

  test('a catalog that does not parse: FAIL (the proxy would not start)', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-default-post' }),
      yaml: 'firmware:\n  dir: firmware\n',
      files: { 'firmware/catalog.yaml': 'board: [unclosed\n' },
    });
    assert.equal(run.find('catalog.loaded').status, 'fail');
    assert.equal(run.report.ok, false);
  });

  test('no firmware.dir: SKIP', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-default-post' }),
    });
    assert.equal(run.find('catalog.loaded').status, 'skip');
  });
});
