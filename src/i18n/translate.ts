/**
 * Looking a message up and filling it in: `t('zh-CN', 'doctor.upstream.refused', { host, port })`, or a
 * `translator(lang)` bound to one language for code that says many things. `{name}` holes take the values
 * as given (a value is never searched for holes again); a plural takes the form `Intl.PluralRules` picks
 * for its `count`.
 */
import type { Catalog, Message, MessageKey, ValuesArg } from './catalog.js';
import type { Language } from './languages.js';
import { en } from './messages/en.js';
import { zhCN } from './messages/zh-CN.js';

const CATALOGS: Readonly<Record<Language, Catalog>> = { en, 'zh-CN': zhCN };

/** A function that says a message in one language. */
export type Translate = <K extends MessageKey>(key: K, ...values: ValuesArg<K>) => string;

const HOLE = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** The catalog of a language (for side-by-side tooling and tests). */
export function catalogOf(lang: Language): Catalog {
  return CATALOGS[lang];
}

/** The message `key` in `lang`, its holes filled from `values`; an unknown key (only possible past the types) says itself. */
export function t<K extends MessageKey>(lang: Language, key: K, ...values: ValuesArg<K>): string {
  const [given] = values as [Readonly<Record<string, string | number>>?];
  const message = CATALOGS[lang][key] as Message | undefined;
  return message === undefined ? key : render(lang, message, given ?? {});
}

/** `t` bound to one language. */
export function translator(lang: Language): Translate {
  return (key, ...values) => t(lang, key, ...values);
}

function render(lang: Language, message: Message, values: Readonly<Record<string, string | number>>): string {
  const text = typeof message === 'string' ? message : pluralForm(lang, message, values.count);
  return text.replace(HOLE, (hole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : hole,
  );
}

function pluralForm(
  lang: Language,
  message: Exclude<Message, string>,
  count: string | number | undefined,
): string {
  const form = new Intl.PluralRules(lang).select(Number(count));
  return form === 'one' && message.one !== undefined ? message.one : message.other;
}
