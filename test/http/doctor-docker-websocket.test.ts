/** doctor on the real Python capture that hands out the container's ws://172.21.0.5 — a failure, unless the proxy's websocket.url fixes it for the host devices use. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorAgainst } from '../helpers/doctor-harness.js';

describe('doctor: Docker-internal websocket URL', () => {
  test('without a websocket rule devices get ws://172.21.0.5: FAIL, and the report is not ok', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-default-post' }),
    });
    const ws = run.find('websocket.url');
    assert.equal(ws.status, 'fail');
    assert.equal(ws.title, 'devices get ws://172.21.0.5:8000/xiaozhi/v1/');
    assert.equal(
      ws.fix,
      'Set websocket.url: ws://{host}:8000/xiaozhi/v1/ ({host} = the host devices use to reach the proxy), or add a rewrite rule from ws://172.21.0.5:8000/.',
    );
    assert.equal(run.report.ok, false);
    assert.equal(run.find('upstream.reply').status, 'pass');
    assert.equal(run.find('proxy.framing').status, 'pass');
    assert.equal(
      run.find('websocket.reachable').status,
      'info',
      'a reachable container address does not make it usable',
    );
    assert.deepEqual(
      run.prober.offLoopback,
      ['172.21.0.5:8000'],
      'the off-loopback host was never dialled in the test',
    );
  });

  test('with websocket.url ws://{host}:8000/… the proxy fixes it, judged for --device-host, not for loopback', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-default-post' }),
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n',
      deviceHost: '192.168.1.10',
    });
    const ws = run.find('websocket.url');
    assert.equal(ws.status, 'pass');
    assert.equal(
      ws.title,
      "devices get ws://192.168.1.10:8000/xiaozhi/v1/ (fixed by the proxy: the upstream's 172.21.0.5 is Docker-internal)",
    );
    assert.deepEqual(ws.detail, [
      "devices reach the proxy as 192.168.1.10; the URL's host: the host devices use to reach the proxy",
      "the upstream sends ws://172.21.0.5:8000/xiaozhi/v1/ (172.21.0.5 is in 172.16.0.0/12, where Docker puts container networks: devices outside the container cannot reach it); the proxy's rules replace it",
    ]);
    assert.equal(run.find('config.websocket.url').status, 'pass');
    assert.equal(
      JSON.stringify(run.report).includes('ws://127.0.0.1:8000'),
      false,
      'never judged for the loopback address doctor dialled',
    );
    assert.equal(run.report.deviceHost, '192.168.1.10:8003');
  });

  test('a websocket.url template that renders to a container address fails in the config section even before any check', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-default-post' }),
      yaml: 'websocket:\n  - when: {board: other-board}\n    url: ws://172.18.0.2:8000/xiaozhi/v1/\n  - url: ws://{host}:8000/xiaozhi/v1/\n',
    });
    assert.equal(run.find('config.websocket[0].url').status, 'fail');
    assert.equal(run.find('config.websocket[1].url').status, 'pass');
    assert.equal(run.find('websocket.url').status, 'pass');
  });
});
