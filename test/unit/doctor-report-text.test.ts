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
    // The whole report: areas in report order whatever the findings' order, one line per check.
    assert.equal(
      text,
      [
        'xiaozhi-ota-proxy doctor',
        '  device   bread-compact-wifi/1.6.0 (esp32s3), Device-Id 02:00:00:d0:c7:01',
        '  upstream http://127.0.0.1:8002/xiaozhi/ota/',
        '  proxy    in-process, as devices reach it: Host 192.168.1.10:8003',
        '',
        'Upstream (asked directly)',
        '  PASS  the upstream answers',
        '',
        'Voice channel (websocket)',
        '  FAIL  devices get ws://172.21.0.5:8000/xiaozhi/v1/',
        '        Docker',
        '        → Set websocket.url',
        '',
        'Clock (server_time)',
        '  WARN  zone differs',
        '',
        'NOT OK: 1 passed, 1 warning, 1 failed. Devices would be stopped by the failures above.',
        '',
      ].join('\n'),
    );
  });

  test('colours when asked', () => {
    const text = renderText(report(findings), { color: true });
    assert.ok(text.includes('\u001b[31mFAIL\u001b[0m'));
    assert.ok(text.includes('\u001b[32mPASS\u001b[0m'));
  });

  test('an all-clear summary', () => {
    assert.equal(
      renderText(report([findings[1] as (typeof findings)[number]]))
        .split('\n')
        .at(-2),
      'OK: 1 passed, 0 warnings, 0 failed. Nothing found that would stop a device.',
    );
  });
});
