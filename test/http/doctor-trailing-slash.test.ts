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
    assert.match(path.title, /200 \{"code":404\}/);
    assert.ok(path.detail?.some((l) => l.includes('trailing slash')));
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
    assert.match(path.fix ?? '', /8002/);
    assert.match(path.fix ?? '', /8003/);
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
    assert.match(reply.title, /not a JSON object/);
  });
});
