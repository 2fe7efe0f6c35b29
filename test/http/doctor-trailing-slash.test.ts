/** doctor when the upstream has no OTA route at the configured path: Java's 200 {"code":404} and Python's 404 (a missing trailing slash or the wrong port). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorAgainst } from '../helpers/doctor-harness.js';

describe('doctor: no OTA route upstream', () => {
  test('manager-api\'s 200 {"code":404,…} (the real no-trailing-slash reply, chunked) is a FAIL naming the trailing slash', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'java-no-trailing-slash' }),
    });
    const path = run.find('upstream.ota-path');
    assert.equal(path.status, 'fail');
    assert.equal(path.title, 'the upstream has no OTA route at /xiaozhi/ota/ (200 {"code":404})');
    assert.deepEqual(path.detail, [
      `${run.upstream.url}/xiaozhi/ota/ answered: {"code":404,"msg":"资源不存在","data":null}`,
      'The xiaozhi-server only answers POST /xiaozhi/ota/ with the trailing slash: the Python server 404s without it, manager-api answers 200 {"code":404,…}.',
    ]);
    assert.equal(run.find('upstream.framing').status, 'warn', 'chunked: the proxy re-frames it');
    assert.equal(run.find('proxy.reply').status, 'fail', 'devices get a 200 without sections');
    assert.equal(run.find('proxy.framing').status, 'pass', 'but framed properly');
    assert.equal(run.report.ok, false);
  });

  test("the Python server's 404 is a FAIL with the port hint", async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-no-trailing-slash' }),
    });
    const path = run.find('upstream.ota-path');
    assert.equal(path.status, 'fail');
    assert.equal(path.title, 'the upstream has no OTA route at /xiaozhi/ota/ (404)');
    assert.equal(
      path.fix,
      "Set ota_path to the server's OTA path (default /xiaozhi/ota/) and check the port. manager-api (the full deployment) answers on port 8002, the single-module Python server on 8003; 8000 is the voice WebSocket, not the OTA endpoint. From inside Docker, use the service name (e.g. http://xiaozhi-esp32-server:8003), not 127.0.0.1.",
    );
    assert.equal(run.find('proxy.reply').status, 'fail');
  });

  test('something that is not the OTA endpoint (HTML on the port) is a FAIL', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({
        kind: 'text',
        body: '<html>console</html>',
        headers: { 'Content-Type': 'text/html' },
      }),
    });
    const reply = run.find('upstream.reply');
    assert.equal(reply.status, 'fail');
    assert.equal(
      reply.title,
      "the upstream's reply is not a JSON object: this does not look like the xiaozhi OTA endpoint",
    );
  });
});
