/** doctor's text report in Chinese: headings, status words and summary translated, titles in the same column as in English, colours unchanged. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countFindings, finding } from '../../src/doctor/findings.js';
import { DEFAULT_PROBE_DEVICE } from '../../src/doctor/probe-request.js';
import { renderText } from '../../src/doctor/report-text.js';
import type { DoctorReport } from '../../src/doctor/run-doctor.js';

function report(findings: DoctorReport['findings']): DoctorReport {
  const counts = countFindings(findings);
  return {
    ok: counts.fail === 0,
    counts,
    findings,
    device: { ...DEFAULT_PROBE_DEVICE, clientId: 'c' },
    deviceHost: '192.168.1.10:8003',
    upstream: { url: 'http://127.0.0.1:8002/xiaozhi/ota/', status: 200, ms: 3, failure: null, body: null },
    proxy: {
      url: 'http://127.0.0.1:41234/xiaozhi/ota/ (in-process)',
      status: 200,
      ms: 3,
      failure: null,
      body: null,
      mode: 'in-process',
    },
    probes: [],
  };
}

const findings = [
  finding('websocket.url', 'websocket', 'fail', '设备收到 ws://172.21.0.5:8000/xiaozhi/v1/', {
    detail: ['Docker'],
    fix: '请设置 websocket.url',
  }),
  finding('upstream.reachable', 'upstream', 'pass', '上游服务器有应答'),
  finding('server_time.offset', 'server_time', 'warn', '时区不同'),
];

describe('the text report in Chinese', () => {
  test('the whole report, line for line', () => {
    assert.equal(
      renderText(report(findings), { lang: 'zh-CN' }),
      [
        'xiaozhi-ota-proxy doctor 诊断报告',
        '  设备     bread-compact-wifi/1.6.0（esp32s3），Device-Id 02:00:00:d0:c7:01',
        '  上游     http://127.0.0.1:8002/xiaozhi/ota/',
        '  代理     http://127.0.0.1:41234/xiaozhi/ota/（进程内），设备访问时的 Host：192.168.1.10:8003',
        '',
        '上游服务器（直接请求）',
        '  通过  上游服务器有应答',
        '',
        '语音通道（websocket）',
        '  失败  设备收到 ws://172.21.0.5:8000/xiaozhi/v1/',
        '        Docker',
        '        → 请设置 websocket.url',
        '',
        '时钟（server_time）',
        '  警告  时区不同',
        '',
        '异常：1 项通过，1 项警告，1 项失败。上面的失败项会让设备无法正常工作。',
        '',
      ].join('\n'),
    );
  });

  test('English stays the default, and the in-process mark stays on the URL', () => {
    const text = renderText(report(findings));
    assert.equal(text, renderText(report(findings), { lang: 'en' }));
    assert.match(
      text,
      /^ {2}proxy {4}http:\/\/127\.0\.0\.1:41234\/xiaozhi\/ota\/ \(in-process\), as devices reach it: Host 192\.168\.1\.10:8003$/m,
    );
  });

  test('colours wrap the Chinese status words as they wrap the English ones', () => {
    const text = renderText(report(findings), { lang: 'zh-CN', color: true });
    assert.ok(text.includes('  \u001b[31m失败\u001b[0m  设备收到'));
    assert.ok(text.includes('  \u001b[32m通过\u001b[0m  上游服务器有应答'));
    assert.ok(text.includes('\u001b[32;1m') === false && text.includes('\u001b[31;1m异常：'));
  });

  test('an all-clear summary', () => {
    assert.match(
      renderText(report([findings[1] as (typeof findings)[number]]), { lang: 'zh-CN' }),
      /^正常：1 项通过，0 项警告，0 项失败。没有发现会妨碍设备的问题。$/m,
    );
  });
});
