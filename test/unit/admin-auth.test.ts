/** The admin gate: Bearer parsing and the constant-time comparison's verdicts. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminAccess, bearerToken, sameSecret } from '../../src/admin/admin-auth.js';

describe('admin token', () => {
  test('reads the token of a Bearer header, any scheme casing', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer   abc '), 'abc');
    assert.equal(bearerToken('BEARER abc'), 'abc');
    assert.equal(bearerToken('Basic YWJj'), null);
    assert.equal(bearerToken('Bearer'), null);
    assert.equal(bearerToken('Bearer a b'), null);
    assert.equal(bearerToken(undefined), null);
  });

  test('compares secrets of any length', () => {
    assert.equal(sameSecret('s3cret', 's3cret'), true);
    assert.equal(sameSecret('s3cret', 's3cre'), false);
    assert.equal(sameSecret('', 's3cret'), false);
    assert.equal(sameSecret('x'.repeat(1000), 's3cret'), false);
  });

  test('off without a token, missing, wrong, granted', () => {
    assert.equal(adminAccess('Bearer s3cret', null), 'off');
    assert.equal(adminAccess(undefined, 's3cret'), 'missing');
    assert.equal(adminAccess('Token s3cret', 's3cret'), 'missing');
    assert.equal(adminAccess('Bearer nope', 's3cret'), 'wrong');
    assert.equal(adminAccess('Bearer s3cret', 's3cret'), 'granted');
  });
});
