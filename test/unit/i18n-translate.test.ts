/** t(lang, key, values): holes filled once, plurals by Intl.PluralRules, a translator bound to one language; the values are typed from the English text. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { t, translator } from '../../src/i18n/translate.js';

describe('saying a message', () => {
  test('fills every hole with its value, in either language', () => {
    assert.equal(
      t('en', 'doctor.upstream.refused', { host: '127.0.0.1', port: 8002 }),
      'nothing listens at 127.0.0.1:8002 (connection refused)',
    );
    assert.equal(
      t('zh-CN', 'doctor.upstream.refused', { host: '127.0.0.1', port: 8002 }),
      '127.0.0.1:8002 上没有服务在监听（连接被拒绝）',
    );
  });

  test('a message without holes takes no values', () => {
    assert.equal(t('zh-CN', 'doctor.report.status.fail'), '失败');
    assert.equal(t('en', 'doctor.report.status.fail'), 'FAIL');
  });

  test('values are inserted as they are: a `{host}` inside a value stays literal', () => {
    assert.equal(
      t('en', 'doctor.websocket.none.fix', { example: 'ws://{host}:8000/xiaozhi/v1/' }),
      'Set websocket.url (e.g. ws://{host}:8000/xiaozhi/v1/) so the reply names the voice server.',
    );
    assert.equal(t('en', 'doctor.note', { note: '{note} $& $1' }), 'note: {note} $& $1');
  });

  test('plurals: English one/other by count, Chinese one form', () => {
    assert.equal(t('en', 'doctor.report.warnings', { count: 1 }), '1 warning');
    assert.equal(t('en', 'doctor.report.warnings', { count: 0 }), '0 warnings');
    assert.equal(t('en', 'doctor.report.warnings', { count: 2 }), '2 warnings');
    assert.equal(t('zh-CN', 'doctor.report.warnings', { count: 1 }), '1 项警告');
    assert.equal(t('zh-CN', 'doctor.report.warnings', { count: 3 }), '3 项警告');
  });

  test('a translator is t bound to one language', () => {
    const say = translator('zh-CN');
    assert.equal(say('doctor.probe.open', { ms: 3 }), t('zh-CN', 'doctor.probe.open', { ms: 3 }));
    assert.equal(say('doctor.probe.open', { ms: 3 }), '有服务在监听（3 ms 内连上）');
  });

  test('the values a message takes are checked by the type of t', () => {
    // These lines are for the type checker (npm run typecheck); at run time they only must not throw.
    // @ts-expect-error a hole without its value
    t('en', 'doctor.upstream.refused', { host: 'x' });
    // @ts-expect-error a message that takes values, given none
    t('en', 'doctor.upstream.refused');
    // @ts-expect-error a plural needs a numeric count
    t('en', 'doctor.report.warnings', { count: '1' });
    // @ts-expect-error no such key
    assert.equal(t('en', 'doctor.no-such-message'), 'doctor.no-such-message');
    assert.equal(
      t('en', 'doctor.upstream.refused', { host: 'x' } as never),
      'nothing listens at x:{port} (connection refused)',
    );
  });
});
