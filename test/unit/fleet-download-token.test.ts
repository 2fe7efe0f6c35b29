/** Download tokens and entry ids (docs/fleet.md "Download tokens", "Update attempts"). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mintToken, shortenToken, TOKEN_LENGTH, verifyToken } from '../../src/fleet/download-token.js';
import { deviceIdOf, macHex } from '../../src/fleet/device-id.js';
import { entryId } from '../../src/fleet/entry-id.js';

const SECRET = 'a-secret';

test('entry_id is the first 12 hex of sha256("<board as written>|<version>")', () => {
  const expected = createHash('sha256').update('bread-*|2.0.0').digest('hex').slice(0, 12);
  assert.equal(entryId('bread-*', '2.0.0'), expected);
  assert.notEqual(entryId('Bread-*', '2.0.0'), expected);
  assert.match(expected, /^[0-9a-f]{12}$/);
});

test('device ids: 12 hex digits, ":"/"-" or none, stored lower-case with ":"', () => {
  assert.equal(deviceIdOf('AA-BB-CC-DD-EE-FF'), 'aa:bb:cc:dd:ee:ff');
  assert.equal(deviceIdOf('aabbccddeeff'), 'aa:bb:cc:dd:ee:ff');
  assert.equal(deviceIdOf('aa:bb:cc:dd:ee:ff'), 'aa:bb:cc:dd:ee:ff');
  assert.equal(deviceIdOf('aa:bb-cc:dd:ee:ff'), null);
  assert.equal(deviceIdOf('aa:bb:cc:dd:ee'), null);
  assert.equal(deviceIdOf('not-a-mac'), null);
  assert.equal(deviceIdOf(null), null);
  assert.equal(macHex('aa:bb:cc:dd:ee:ff'), 'aabbccddeeff');
});

test('a token is "<mac hex>.<first 12 bytes of HMAC-SHA256(secret, mac|file)> base64url", 29 characters', () => {
  const token = mintToken(SECRET, 'aa:bb:cc:dd:ee:ff', 'fw-2.0.0.bin');
  const tag = createHmac('sha256', SECRET).update('aabbccddeeff|fw-2.0.0.bin').digest().subarray(0, 12);
  assert.equal(token, `aabbccddeeff.${tag.toString('base64url')}`);
  assert.equal(token.length, TOKEN_LENGTH);
  assert.equal(TOKEN_LENGTH, 29);
});

test('verify: the device for the right file and secret, null otherwise', () => {
  const token = mintToken(SECRET, 'aa:bb:cc:dd:ee:ff', 'fw.bin');
  assert.equal(verifyToken(SECRET, token, 'fw.bin'), 'aa:bb:cc:dd:ee:ff');
  assert.equal(verifyToken(SECRET, token, 'other.bin'), null);
  assert.equal(verifyToken('another-secret', token, 'fw.bin'), null);
  // Another device's prefix with this tag.
  assert.equal(verifyToken(SECRET, `aabbccddeef0${token.slice(12)}`, 'fw.bin'), null);
  assert.equal(verifyToken(SECRET, token.slice(0, 28), 'fw.bin'), null);
  assert.equal(verifyToken(SECRET, `${token}x`, 'fw.bin'), null);
  assert.equal(verifyToken(SECRET, `AABBCCDDEEFF${token.slice(12)}`, 'fw.bin'), null);
  assert.equal(verifyToken(SECRET, `${token.slice(0, 12)}-${token.slice(13)}`, 'fw.bin'), null);
  // Characters outside base64url never verify (lenient decoding would otherwise ignore them).
  assert.equal(verifyToken(SECRET, `${token.slice(0, 28)}*`, 'fw.bin'), null);
});

test('shortened for display: the device and the tag start, never the whole tag', () => {
  const token = mintToken(SECRET, 'aa:bb:cc:dd:ee:ff', 'fw.bin');
  assert.equal(shortenToken(token), `${token.slice(0, 17)}…`);
  assert.equal(shortenToken(token).includes(token.slice(17)), false);
});
