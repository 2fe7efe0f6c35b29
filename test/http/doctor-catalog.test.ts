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
    assert.ok(entry.detail?.some((l) => l.includes('esp32s3') && l.includes('1.7.0')));
    assert.equal(run.find('catalog.issue[0]').status, 'warn');
    assert.equal(run.find('catalog.issue[1]').status, 'warn');
    assert.match(
      run.find('firmware.offer').title,
      /will download 1\.7\.0 from http:\/\/192\.168\.1\.10:8003\/firmware\/xiaozhi-1\.7\.0\.bin/,
    );
    const url = run.find('firmware.url');
    assert.equal(url.status, 'pass');
    assert.match(url.title, /served by the proxy/);
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
