/** doctor on the Java unbound-device reply: the NOT_ACTIVATED placeholder URL is reported as deliberate, never probed; activation is noted. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorAgainst } from '../helpers/doctor-harness.js';

describe('doctor: the Java placeholder firmware URL', () => {
  test('is a PASS with a note that it is deliberate, and no host of it is dialled', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'java-unbound-device' }),
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n',
    });
    const offer = run.find('firmware.offer');
    assert.equal(offer.status, 'pass');
    assert.equal(offer.title, "nothing to download: the upstream's placeholder URL (version 1.6.0)");
    assert.deepEqual(offer.detail, [
      'catalog: nothing offered — no-catalog: no firmware catalog',
      '…NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL is deliberate: manager-api\'s "nothing to download" for unbound devices and for bound ones without a newer build. The proxy never rewrites it, and the guard keeps its version at or below the running one so devices never try it.',
    ]);
    assert.equal(
      run.report.findings.some((f) => f.id === 'firmware.url'),
      false,
    );
    assert.equal(
      run.report.probes.some((p) => p.host.includes('xiaozhi.server.com')),
      false,
    );
    assert.equal(run.find('upstream.activation').status, 'info');
    assert.equal(
      run.find('upstream.activation').title,
      'the upstream asks this device to activate (code 182071)',
    );
    assert.equal(
      JSON.stringify(run.report).includes('RkFJLM2x5xtfBNoYQHXQpkXa3piyzB4JrkkDW9hJpSc'),
      false,
      'the websocket token is never printed',
    );
  });
});
