/** The message catalogs: Chinese has exactly the English keys, in the same order, with the same shapes and the same `{holes}`. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../src/i18n/catalog.js';
import { LANGUAGES } from '../../src/i18n/languages.js';
import { en } from '../../src/i18n/messages/en.js';
import { zhCN } from '../../src/i18n/messages/zh-CN.js';
import { catalogOf } from '../../src/i18n/translate.js';

const texts = (message: Message): string[] =>
  typeof message === 'string' ? [message] : [message.one, message.other].filter((s) => s !== undefined);

/** The `{name}` holes of a message, sorted. */
const holes = (message: Message): string[] =>
  [
    ...new Set(
      texts(message).flatMap((text) => [...text.matchAll(/\{([A-Za-z][A-Za-z0-9]*)\}/g)].map((m) => m[1])),
    ),
  ]
    .filter((name) => name !== undefined)
    .sort();

describe('the message catalogs', () => {
  test('zh-CN has exactly the English keys, in the English order (so the two files read side by side)', () => {
    assert.deepEqual(Object.keys(zhCN), Object.keys(en));
  });

  test('every language in LANGUAGES has a catalog with every key', () => {
    for (const lang of LANGUAGES) assert.deepEqual(Object.keys(catalogOf(lang)), Object.keys(en), lang);
  });

  test('each Chinese message has the shape and the holes of its English original', () => {
    for (const [key, english] of Object.entries(en) as [keyof typeof en, Message][]) {
      const chinese: Message = zhCN[key];
      assert.equal(typeof chinese, typeof english, `${key}: string or plural, as in English`);
      assert.deepEqual(holes(chinese), holes(english), `${key}: the same {holes}`);
      if (typeof english !== 'string') {
        assert.ok(english.one !== undefined, `${key}: English plurals say the singular`);
        assert.deepEqual(holes({ other: english.other }), holes(english), `${key}: "other" has every hole`);
      }
    }
  });

  test('every brace in a text is a {hole}: a literal brace (a config template) comes in as a value', () => {
    for (const catalog of [en, zhCN]) {
      for (const [key, message] of Object.entries(catalog) as [string, Message][]) {
        for (const text of texts(message)) {
          assert.equal(/[{}]/.test(text.replace(/\{[A-Za-z][A-Za-z0-9]*\}/g, '')), false, `${key}: ${text}`);
        }
      }
    }
  });

  test('no text is empty, and no Chinese text is the English one, but for identifiers', () => {
    // Texts made of identifiers, holes and punctuation only read the same in both languages.
    const sameInBoth = new Set([
      'doctor.report.area.mqtt',
      'doctor.config.loaded.hash',
      'doctor.catalog.entry.min-version',
      // The console's "no value" dash.
      'console.none',
    ]);
    for (const [key, message] of Object.entries(zhCN) as [keyof typeof en, Message][]) {
      for (const text of texts(message)) assert.notEqual(text.trim(), '', key);
      assert.equal(
        JSON.stringify(message) === JSON.stringify(en[key]),
        sameInBoth.has(key),
        `${key} is not translated`,
      );
    }
  });
});
