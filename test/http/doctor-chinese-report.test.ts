/**
 * `doctor --lang zh` over a real fake upstream: the same checks, ids, statuses and exit code as in
 * English, said in Simplified Chinese — in the text report and in --json's human fields; the language
 * handed down from the locale, and --lang over it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Finding } from '../../src/doctor/findings.js';
import type { Responder } from '../helpers/fake-upstream.js';
import { runDoctorAgainst, runDoctorCliAgainst } from '../helpers/doctor-harness.js';

/** manager-api's refusal of a Device-Id that is not a MAC address: two failures, so exit 1. */
const invalidDeviceId: Responder = () => ({ kind: 'json', body: { error: 'Invalid device ID' } });
const LOOPBACK = ['--device-host', '127.0.0.1'];

const shape = (findings: readonly Finding[]): string[] =>
  findings.map((f) => `${f.id} ${f.area} ${f.status}`);

describe('doctor in Chinese', () => {
  let voice: net.Server;
  let healthy: Responder;
  before(async () => {
    voice = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => voice.listen(0, '127.0.0.1', resolve));
    const voicePort = (voice.address() as net.AddressInfo).port;
    healthy = () => ({
      kind: 'json',
      body: {
        server_time: { timestamp: Date.now(), timezone_offset: 0 },
        firmware: { version: '1.6.0', url: '' },
        websocket: { url: `ws://127.0.0.1:${voicePort}/xiaozhi/v1/`, token: '' },
      },
    });
  });
  after(() => new Promise<void>((resolve) => voice.close(() => resolve())));

  test('a failing deployment: Chinese findings and summary, exit 1 as in English', async () => {
    const english = await runDoctorCliAgainst({ responder: invalidDeviceId, args: LOOPBACK });
    const chinese = await runDoctorCliAgainst({
      responder: invalidDeviceId,
      args: [...LOOPBACK, '--lang', 'zh'],
    });
    assert.equal(english.code, 1);
    assert.equal(chinese.code, english.code);
    assert.match(chinese.stdout, /^ {2}失败 {2}上游服务器返回的是错误对象，而不是 OTA 应答$/m);
    assert.match(
      chinese.stdout,
      /^ {8}manager-api 要求 Device-Id 是 MAC 地址（请传 --device-id aa:bb:cc:dd:ee:ff）。$/m,
    );
    assert.match(chinese.stdout, /^ {8}→ 设备会原样收到这个响应体并重试；请在服务器端排查原因。$/m);
    assert.match(chinese.stdout, /^上游服务器（直接请求）$/m);
    assert.match(
      chinese.stdout,
      /^异常：\d+ 项通过，\d+ 项警告，2 项失败。上面的失败项会让设备无法正常工作。$/m,
    );
    assert.equal(chinese.stdout.includes('FAIL'), false, 'no English status words');
    assert.equal(chinese.stdout.includes('NOT OK'), false);
    assert.match(
      english.stdout,
      /^ {2}FAIL {2}the upstream answers with an error object instead of an OTA reply$/m,
    );
  });

  test('a healthy deployment: exit 0 in both languages, every line in Chinese', async () => {
    const english = await runDoctorCliAgainst({
      responder: healthy,
      yaml: 'server_time:\n  timezone: UTC\n',
      args: LOOPBACK,
    });
    const chinese = await runDoctorCliAgainst({
      responder: healthy,
      yaml: 'server_time:\n  timezone: UTC\n',
      args: [...LOOPBACK, '--lang', 'zh-CN'],
    });
    assert.equal(english.code, 0, english.stdout);
    assert.equal(chinese.code, 0, chinese.stdout);
    assert.match(chinese.stdout, /^ {2}通过 {2}语音服务端口 127\.0\.0\.1:\d+ 可以连接$/m);
    assert.match(chinese.stdout, /^ {2}通过 {2}设备得到 UTC\+00:00（server_time\.timezone: UTC）$/m);
    assert.match(chinese.stdout, /^ {2}通过 {2}没有 mqtt 字段：设备使用 WebSocket$/m);
    assert.match(chinese.stdout, /^正常：\d+ 项通过，1 项警告，0 项失败。没有发现会妨碍设备的问题。$/m);
    assert.equal(
      chinese.stdout.split('\n').length,
      english.stdout.split('\n').length,
      'the same report, line for line',
    );
  });

  test('--json: ids, areas and statuses as in English, human text in Chinese', async () => {
    const parse = (stdout: string) => JSON.parse(stdout) as { ok: boolean; findings: Finding[] };
    const english = await runDoctorCliAgainst({ responder: invalidDeviceId, args: [...LOOPBACK, '--json'] });
    const chinese = await runDoctorCliAgainst({
      responder: invalidDeviceId,
      args: [...LOOPBACK, '--json', '--lang', 'zh'],
    });
    assert.equal(chinese.code, english.code);
    const en = parse(english.stdout);
    const zh = parse(chinese.stdout);
    assert.equal(zh.ok, en.ok);
    assert.deepEqual(shape(zh.findings), shape(en.findings));
    const reply = zh.findings.find((f) => f.id === 'upstream.reply');
    assert.equal(reply?.title, '上游服务器返回的是错误对象，而不是 OTA 应答');
    assert.equal(reply?.fix, '设备会原样收到这个响应体并重试；请在服务器端排查原因。');
    assert.equal(
      zh.findings.find((f) => f.id === 'proxy.reply')?.title,
      '设备收到的 200 应答中没有任何 OTA 字段：没有时钟、没有通信方式、也没有固件',
    );
  });

  test('the language cli.ts hands down from the locale is used, and --lang overrides it', async () => {
    const fromLocale = await runDoctorCliAgainst({
      responder: invalidDeviceId,
      args: LOOPBACK,
      lang: 'zh-CN',
    });
    assert.equal(fromLocale.code, 1);
    assert.match(fromLocale.stdout, /^异常：/m);
    const overridden = await runDoctorCliAgainst({
      responder: invalidDeviceId,
      args: [...LOOPBACK, '--lang', 'en'],
      lang: 'zh-CN',
    });
    assert.match(overridden.stdout, /^NOT OK: /m);
    const help = await runDoctorCliAgainst({ args: ['--help'], lang: 'zh-CN' });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^用法：xiaozhi-ota-proxy doctor \[选项\]$/m);
  });

  test('an unknown --lang is a usage error: exit 2, said on stderr in the language handed down', async () => {
    const run = await runDoctorCliAgainst({
      responder: invalidDeviceId,
      args: [...LOOPBACK, '--lang', 'fr'],
    });
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, 'doctor: --lang "fr" is not a supported language (en, zh)\n');
    const zh = await runDoctorCliAgainst({ args: ['--lang', 'klingon'], lang: 'zh-CN' });
    assert.equal(zh.stderr, 'doctor: --lang "klingon" 不是支持的语言（en、zh）\n');
  });

  test('through the doctor harness: the Docker-internal websocket URL, same findings, exact Chinese text', async () => {
    const responder: Responder = () => ({ kind: 'capture', name: 'python-default-post' });
    const english = await runDoctorAgainst({ responder });
    const chinese = await runDoctorAgainst({ responder, options: { lang: 'zh-CN' } });
    assert.deepEqual(shape(chinese.report.findings), shape(english.report.findings));
    assert.equal(chinese.report.ok, english.report.ok);
    const ws = chinese.find('websocket.url');
    assert.equal(ws.status, 'fail');
    assert.equal(ws.title, '设备收到 ws://172.21.0.5:8000/xiaozhi/v1/');
    assert.deepEqual(ws.detail, [
      '设备通过 192.168.1.10 访问代理；该 URL 的主机：172.21.0.5 位于 172.16.0.0/12，这是 Docker 分配容器网络的网段：容器外的设备访问不到',
    ]);
    assert.equal(
      ws.fix,
      '请设置 websocket.url: ws://{host}:8000/xiaozhi/v1/（{host} 即设备访问代理所用的主机），或添加一条 from 为 ws://172.21.0.5:8000/ 的重写规则（rewrite）。',
    );
    assert.equal(
      chinese.find('websocket.reachable').title,
      '从本机连接 172.21.0.5:8000：从本机无法访问（NOT-DIALLED-IN-TESTS）；但设备反正用不了这个地址（见上文）',
    );
    assert.deepEqual(chinese.prober.offLoopback, ['172.21.0.5:8000'], 'never dialled off loopback');
  });
});
