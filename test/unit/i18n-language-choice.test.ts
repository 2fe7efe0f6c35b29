/** Which language a person reads: --lang tags, the POSIX locale (LC_ALL, then LC_MESSAGES, then LANG), Accept-Language, English otherwise. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  languageFromAcceptLanguage,
  languageFromEnv,
  parseLanguageTag,
  pickLanguage,
  type Language,
} from '../../src/i18n/languages.js';

describe('language tags and locale names', () => {
  const table: [string, Language | null][] = [
    ['zh', 'zh-CN'],
    ['zh-CN', 'zh-CN'],
    ['ZH-cn', 'zh-CN'],
    ['zh_CN.UTF-8', 'zh-CN'],
    ['zh_CN.GB18030', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['zh_TW.UTF-8', 'zh-CN'],
    ['zh-HK', 'zh-CN'],
    ['zh_SG', 'zh-CN'],
    ['en', 'en'],
    ['en-GB', 'en'],
    ['en_US.UTF-8', 'en'],
    ['C', null],
    ['C.UTF-8', null],
    ['POSIX', null],
    ['fr_FR.UTF-8', null],
    ['', null],
  ];
  for (const [tag, language] of table)
    test(`"${tag}" reads ${language ?? 'no catalog'}`, () => assert.equal(parseLanguageTag(tag), language));
});

describe('the locale', () => {
  test('LANG=zh_CN.UTF-8 is Chinese; nothing set is English', () => {
    assert.equal(languageFromEnv({ LANG: 'zh_CN.UTF-8' }), 'zh-CN');
    assert.equal(languageFromEnv({}), 'en');
  });

  test('LC_ALL wins over LC_MESSAGES, which wins over LANG; empty values do not count', () => {
    assert.equal(
      languageFromEnv({ LC_ALL: 'zh_CN.UTF-8', LC_MESSAGES: 'en_US.UTF-8', LANG: 'en_US.UTF-8' }),
      'zh-CN',
    );
    assert.equal(languageFromEnv({ LC_MESSAGES: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' }), 'zh-CN');
    assert.equal(languageFromEnv({ LC_MESSAGES: 'en_US.UTF-8', LANG: 'zh_CN.UTF-8' }), 'en');
    assert.equal(languageFromEnv({ LC_ALL: '', LC_MESSAGES: '', LANG: 'zh_CN.UTF-8' }), 'zh-CN');
  });

  test('the first set variable decides even without a catalog: LC_ALL=C means English', () => {
    assert.equal(languageFromEnv({ LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }), 'en');
    assert.equal(languageFromEnv({ LC_ALL: 'fr_FR.UTF-8', LANG: 'zh_CN.UTF-8' }), 'en');
  });
});

describe('Accept-Language', () => {
  test('the highest q among our languages wins; order breaks ties', () => {
    assert.equal(languageFromAcceptLanguage('zh-CN,zh;q=0.9,en;q=0.8'), 'zh-CN');
    assert.equal(languageFromAcceptLanguage('en-US,en;q=0.9,zh-CN;q=0.8'), 'en');
    assert.equal(languageFromAcceptLanguage('fr;q=1, zh-TW;q=0.7, en;q=0.5'), 'zh-CN');
    assert.equal(languageFromAcceptLanguage('en;q=0.5, zh;q=0.6'), 'zh-CN');
    assert.equal(languageFromAcceptLanguage('zh, en'), 'zh-CN');
  });

  test('q=0 refuses a language; nothing acceptable is null', () => {
    assert.equal(languageFromAcceptLanguage('zh;q=0, en;q=0.1'), 'en');
    assert.equal(languageFromAcceptLanguage('fr-FR, de;q=0.9'), null);
    assert.equal(languageFromAcceptLanguage('*'), null);
    assert.equal(languageFromAcceptLanguage(''), null);
  });
});

describe('picking the language', () => {
  test('an explicit choice, else the header, else the locale, else English', () => {
    assert.equal(
      pickLanguage({ explicit: 'zh', acceptLanguage: 'en', env: { LANG: 'en_US.UTF-8' } }),
      'zh-CN',
    );
    assert.equal(pickLanguage({ explicit: 'en', env: { LANG: 'zh_CN.UTF-8' } }), 'en');
    assert.equal(pickLanguage({ acceptLanguage: 'zh-CN,zh;q=0.9', env: { LANG: 'en_US.UTF-8' } }), 'zh-CN');
    assert.equal(pickLanguage({ acceptLanguage: 'fr', env: { LANG: 'zh_CN.UTF-8' } }), 'zh-CN');
    assert.equal(pickLanguage({ env: { LANG: 'zh_CN.UTF-8' } }), 'zh-CN');
    assert.equal(pickLanguage({}), 'en');
    assert.equal(pickLanguage(), 'en');
  });

  test('an explicit choice without a catalog falls through', () => {
    assert.equal(pickLanguage({ explicit: 'fr', acceptLanguage: 'zh' }), 'zh-CN');
    assert.equal(pickLanguage({ explicit: 'fr' }), 'en');
  });
});
