/** doctor's text report: one line per check grouped by area, fixes shown, a summary line, colours only when asked. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countFindings, finding } from '../../src/doctor/findings.js';
import { renderText } from '../../src/doctor/report-text.js';
import type { DoctorReport } from '../../src/doctor/run-doctor.js';
import { DEFAULT_PROBE_DEVICE } from '../../src/doctor/probe-request.js';

function report(findings: DoctorReport['findings']): DoctorReport {
  const counts = countFindings(findings);
  return {
    ok: counts.fail === 0,
    counts,
    findings,
    device: { ...DEFAULT_PROBE_DEVICE, clientId: 'c' },
    deviceHost: '192.168.1.10:8003',
    upstream: { url: 'http://127.0.0.1:8002/xiaozhi/ota/', status: 200, ms: 3, failure: null, body: null },
    proxy: { url: 'in-process', status: 200, ms: 3, failure: null, body: null, mode: 'in-process' },
    probes: [],
  };
}

describe('the text report', () => {
  const findings = [
    finding('websocket.url', 'websocket', 'fail', 'devices get ws://172.21.0.5:8000/xiaozhi/v1/', {
      detail: ['Docker'],
      fix: 'Set websocket.url',
    }),
    finding('upstream.reachable', 'upstream', 'pass', 'the upstream answers'),
    finding('server_time.offset', 'server_time', 'warn', 'zone differs'),
  ];

  test('groups by area in report order, with status words, details and fixes', () => {
    const text = renderText(report(findings));
    assert.ok(text.indexOf('Upstream (asked directly)') < text.indexOf('Voice channel (websocket)'));
    assert.match(text, /^ {2}FAIL {2}devices get ws:\/\/172\.21\.0\.5:8000\/xiaozhi\/v1\/$/m);
    assert.match(text, /^ {8}→ Set websocket\.url$/m);
    assert.match(text, /^ {2}PASS {2}the upstream answers$/m);
    assert.match(text, /NOT OK: 1 passed, 1 warning, 1 failed/);
    assert.equal(text.includes('\u001b['), false);
  });

  test('colours when asked', () => {
    const text = renderText(report(findings), { color: true });
    assert.ok(text.includes('\u001b[31mFAIL\u001b[0m'));
    assert.ok(text.includes('\u001b[32mPASS\u001b[0m'));
  });

  test('an all-clear summary', () => {
    assert.match(
      renderText(report([findings[1] as (typeof findings)[number]])),
      /OK: 1 passed, 0 warnings, 0 failed\. Nothing found that would stop a device\./,
    );
  });
});
