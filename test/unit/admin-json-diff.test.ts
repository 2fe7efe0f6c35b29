import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffJson } from '../../src/admin/json-diff.js';
import type { JsonValue } from '../../src/rewrite/types.js';

test('members added, removed and changed, with dotted and bracketed paths, in member order', () => {
  const before = { websocket: { url: 'ws://a/', token: 't' }, 'odd key': 1, gone: true, same: { x: [1] } };
  const after = {
    websocket: { url: 'ws://b/', token: 't', version: 3 },
    'odd key': 2,
    same: { x: [1] },
    added: null,
  };
  assert.deepEqual(diffJson(before, after), [
    { path: 'websocket.url', op: 'changed', before: 'ws://a/', after: 'ws://b/' },
    { path: 'websocket.version', op: 'added', after: 3 },
    { path: '["odd key"]', op: 'changed', before: 1, after: 2 },
    { path: 'gone', op: 'removed', before: true },
    { path: 'added', op: 'added', after: null },
  ]);
});

test('arrays are compared as whole values, one entry however many elements differ', () => {
  const before = { list: [1, { a: 1 }, 3], inner: { tags: ['x'] } };
  const after = { list: [9, { a: 2 }, 3, 4], inner: { tags: ['x'] } };
  assert.deepEqual(diffJson(before, after), [
    { path: 'list', op: 'changed', before: [1, { a: 1 }, 3], after: [9, { a: 2 }, 3, 4] },
  ]);
  assert.deepEqual(diffJson({ a: [1] }, { a: { 0: 1 } }), [
    { path: 'a', op: 'changed', before: [1], after: { 0: 1 } },
  ]);
});

test('a whole body that is absent, a scalar or an array is one (body) entry', () => {
  assert.deepEqual(diffJson(undefined, undefined), []);
  assert.deepEqual(diffJson(undefined, { a: 1 }), [{ path: '(body)', op: 'added', after: { a: 1 } }]);
  assert.deepEqual(diffJson({ a: 1 }, undefined), [{ path: '(body)', op: 'removed', before: { a: 1 } }]);
  assert.deepEqual(diffJson('x', { a: 1 }), [
    { path: '(body)', op: 'changed', before: 'x', after: { a: 1 } },
  ]);
  assert.deepEqual(diffJson([1, 2], [1, 3]), [
    { path: '(body)', op: 'changed', before: [1, 2], after: [1, 3] },
  ]);
  assert.deepEqual(diffJson([1, { a: 2 }], [1, { a: 2 }]), []);
  assert.deepEqual(diffJson([], {}), [{ path: '(body)', op: 'changed', before: [], after: {} }]);
  assert.deepEqual(diffJson(null, null), []);
});

test('member order is ignored and equal values give no entries', () => {
  assert.deepEqual(diffJson({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }), []);
});

test('keys named like Object.prototype members are data like any other', () => {
  const before = JSON.parse('{"constructor": 1, "keep": {"toString": "x"}}') as JsonValue;
  const after = JSON.parse('{"toString": 2, "keep": {}}') as JsonValue;
  assert.deepEqual(diffJson(before, after), [
    { path: 'constructor', op: 'removed', before: 1 },
    { path: 'keep.toString', op: 'removed', before: 'x' },
    { path: 'toString', op: 'added', after: 2 },
  ]);
  // JSON.parse keeps `__proto__` as an own member; so does the diff.
  const withProto = JSON.parse('{"__proto__": {"x": 1}}') as JsonValue;
  assert.deepEqual(diffJson({}, withProto), [{ path: '__proto__', op: 'added', after: { x: 1 } }]);
});
