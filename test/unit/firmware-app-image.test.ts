import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  APP_IMAGE_HEADER_BYTES,
  chipIdForName,
  chipNameForId,
  readAppImage,
} from '../../src/firmware/app-image.js';
import { buildAppImage, buildMergedImage } from '../helpers/app-image.js';

describe('readAppImage', () => {
  test('reads the descriptor of an application image', () => {
    const image = buildAppImage({
      version: '2.0.3',
      chipId: 9,
      projectName: 'xiaozhi',
      idf: 'v5.4.1',
      time: '10:11:12',
      date: 'Jan  2 2026',
    });
    const result = readAppImage(image);
    assert.equal(result.kind, 'app');
    assert.ok(result.kind === 'app');
    assert.deepEqual(result.info, {
      chipId: 9,
      chip: 'esp32s3',
      version: '2.0.3',
      projectName: 'xiaozhi',
      idfVersion: 'v5.4.1',
      compileTime: '10:11:12',
      compileDate: 'Jan  2 2026',
    });
  });

  test('a field filling its whole width has no NUL and is read whole', () => {
    const version = '1'.repeat(32);
    const result = readAppImage(buildAppImage({ version }));
    assert.ok(result.kind === 'app');
    assert.equal(result.info.version, version);
  });

  test('an unknown chip id is kept with a null name', () => {
    const result = readAppImage(buildAppImage({ version: '1.0.0', chipId: 77 }));
    assert.ok(result.kind === 'app');
    assert.equal(result.info.chipId, 77);
    assert.equal(result.info.chip, null);
  });

  test('only the first header bytes are needed', () => {
    const image = buildAppImage({ version: '1.2.3', size: APP_IMAGE_HEADER_BYTES + 5000 });
    assert.equal(readAppImage(image.subarray(0, APP_IMAGE_HEADER_BYTES)).kind, 'app');
    assert.equal(readAppImage(image.subarray(0, 176)).kind, 'app');
  });

  test('a merged image with the bootloader at 0 (esp32s3) is merged', () => {
    assert.deepEqual(readAppImage(buildMergedImage({ chipId: 9 })), { kind: 'merged' });
  });

  test('a merged esp32 image (0xFF up to the bootloader at 0x1000) is merged', () => {
    const merged = buildMergedImage({ chipId: 0 });
    assert.equal(merged[0], 0xff);
    assert.deepEqual(readAppImage(merged), { kind: 'merged' });
    // Even when only the first 4 KiB + 1 are read.
    assert.deepEqual(readAppImage(merged.subarray(0, 0x1001)), { kind: 'merged' });
  });

  test('a partition table at 0x8000 or 0x9000 marks a merged image', () => {
    for (const at of [0x8000, 0x9000]) {
      const bytes = new Uint8Array(APP_IMAGE_HEADER_BYTES);
      bytes[at] = 0xaa;
      bytes[at + 1] = 0x50;
      assert.deepEqual(readAppImage(bytes), { kind: 'merged' }, `table at 0x${at.toString(16)}`);
    }
  });

  test('anything else is not an image, with a reason', () => {
    for (const bytes of [
      new Uint8Array(0),
      Buffer.from('<html>not found</html>'),
      new Uint8Array(4096).fill(0xff),
      Buffer.from([0xe9, 1, 2]),
      buildAppImage({ version: '1.0.0' }).subarray(0, 100),
    ]) {
      const result = readAppImage(bytes);
      assert.equal(result.kind, 'not-an-image');
      assert.ok(result.kind === 'not-an-image' && result.reason.length > 0);
    }
  });
});

describe('chip names', () => {
  test('every id of docs/device-contract.md §6 maps both ways', () => {
    const table: Array<[number, string]> = [
      [0, 'esp32'],
      [2, 'esp32s2'],
      [5, 'esp32c3'],
      [9, 'esp32s3'],
      [12, 'esp32c2'],
      [13, 'esp32c6'],
      [16, 'esp32h2'],
      [18, 'esp32p4'],
      [20, 'esp32c61'],
      [23, 'esp32c5'],
    ];
    for (const [id, name] of table) {
      assert.equal(chipNameForId(id), name);
      assert.equal(chipIdForName(name), id);
    }
  });

  test('names are matched case-insensitively; unknowns are null', () => {
    assert.equal(chipIdForName('ESP32S3'), 9);
    assert.equal(chipIdForName('esp8266'), null);
    assert.equal(chipNameForId(1), null);
  });
});
