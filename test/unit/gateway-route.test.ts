import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathnameOf, routeRequest, type Route, type RouteSettings } from '../../src/gateway/route.js';

const main: RouteSettings = {
  otaPath: '/xiaozhi/ota/',
  catalog: true,
  adminEnabled: true,
  adminListener: false,
  listener: 'main',
};

test('route table on the main listener', () => {
  const table: [string, string, Partial<RouteSettings>, Route][] = [
    ['POST', '/xiaozhi/ota/', {}, 'ota-check'],
    ['POST', '/xiaozhi/ota', {}, 'ota-check'],
    ['GET', '/xiaozhi/ota/', {}, 'ota-get'],
    ['HEAD', '/xiaozhi/ota', {}, 'ota-get'],
    ['OPTIONS', '/xiaozhi/ota/', {}, 'ota-other'],
    ['POST', '/xiaozhi/ota/activate', {}, 'activate'],
    ['POST', '/xiaozhi/ota/activate/', {}, 'activate'],
    ['GET', '/xiaozhi/ota/download/a_1.bin', {}, 'upstream-download'],
    ['GET', '/xiaozhi/otaMag/download/uuid', {}, 'upstream-download'],
    ['GET', '/firmware/x.bin', {}, 'firmware'],
    ['GET', '/firmware/x.bin', { catalog: false }, 'not-found'],
    ['GET', '/healthz', {}, 'healthz'],
    ['GET', '/readyz', {}, 'readyz'],
    ['GET', '/metrics', {}, 'metrics'],
    ['GET', '/metrics', { adminListener: true }, 'not-found'],
    ['GET', '/admin/exchanges', {}, 'admin'],
    ['GET', '/admin/exchanges', { adminEnabled: false }, 'not-found'],
    ['GET', '/admin/exchanges', { adminListener: true }, 'not-found'],
    ['POST', '/mcp/vision/explain', {}, 'proxy'],
    ['GET', '/xiaozhi/otafoo', {}, 'proxy'],
    ['POST', '/ota/', { otaPath: '/ota/' }, 'ota-check'],
    ['POST', '/ota/activate', { otaPath: '/ota/' }, 'activate'],
  ];
  for (const [method, path, settings, expected] of table) {
    assert.equal(routeRequest(method, path, { ...main, ...settings }), expected, `${method} ${path}`);
  }
});

test('route table on the admin listener', () => {
  const admin: RouteSettings = { ...main, adminListener: true, listener: 'admin' };
  assert.equal(routeRequest('GET', '/metrics', admin), 'metrics');
  assert.equal(routeRequest('GET', '/admin/exchanges', admin), 'admin');
  assert.equal(routeRequest('GET', '/admin/exchanges', { ...admin, adminEnabled: false }), 'not-found');
  assert.equal(routeRequest('POST', '/xiaozhi/ota/', admin), 'not-found');
});

test('pathnameOf: origin-form, absolute-form, query', () => {
  assert.equal(pathnameOf('/xiaozhi/ota/?a=1'), '/xiaozhi/ota/');
  assert.equal(pathnameOf('http://host:8003/xiaozhi/ota/'), '/xiaozhi/ota/');
  assert.equal(pathnameOf(undefined), '/');
  assert.equal(pathnameOf('*'), '*');
  assert.equal(pathnameOf('http://h:8003?x=1'), '/');
  // Never normalised: the routed path is the forwarded one (a traversal stays visible to the routes).
  assert.equal(pathnameOf('http://h/firmware/../x?y'), '/firmware/../x');
  assert.equal(routeRequest('GET', pathnameOf('http://h/firmware/../xiaozhi/ota/'), main), 'firmware');
});
