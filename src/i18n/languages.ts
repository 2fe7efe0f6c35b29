/**
 * Which language a person reads: the languages we have catalogs for, and how one is chosen — an explicit
 * choice (`--lang zh`, a `?lang=` parameter), an HTTP `Accept-Language` header, or the POSIX locale
 * variables. Pure: the caller hands in the header or the environment.
 */

/** The languages with a catalog (`messages/<language>.ts`). English is the default and the reference. */
export type Language = 'en' | 'zh-CN';

export const LANGUAGES: readonly Language[] = ['en', 'zh-CN'];

export const DEFAULT_LANGUAGE: Language = 'en';

/**
 * The catalog for a language tag or locale name: `zh`, `zh-CN`, `zh_CN.UTF-8`, `zh-Hans` → `zh-CN`;
 * `en`, `en-GB`, `en_US.UTF-8` → `en`; anything else (`C`, `POSIX`, `fr_FR`) → `null`. Traditional
 * Chinese (`zh-TW`, `zh_HK`, `zh-Hant`) also reads the Simplified catalog: it is the only Chinese one, and
 * closer to what those readers expect than English.
 */
export function parseLanguageTag(tag: string): Language | null {
  const primary = tag
    .trim()
    .toLowerCase()
    .split(/[-_.@]/)[0];
  if (primary === 'zh') return 'zh-CN';
  if (primary === 'en') return 'en';
  return null;
}

/**
 * The language of the POSIX locale: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set and not
 * empty decides (so `LC_ALL=C` means English even with `LANG=zh_CN.UTF-8`); English when none is set or
 * the locale has no catalog.
 */
export function languageFromEnv(env: Readonly<Record<string, string | undefined>>): Language {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
    const value = env[name];
    if (value !== undefined && value !== '') return parseLanguageTag(value) ?? DEFAULT_LANGUAGE;
  }
  return DEFAULT_LANGUAGE;
}

/**
 * The preferred language of an `Accept-Language` header (RFC 9110 §12.5.4) among ours: the highest
 * `q` wins, earlier entries win ties, `q=0` means "not this one"; `null` when none of ours is acceptable.
 */
export function languageFromAcceptLanguage(header: string): Language | null {
  const ranked = header
    .split(',')
    .map((part, order) => {
      const [range = '', ...params] = part.split(';').map((s) => s.trim());
      const q = params.find((p) => /^q\s*=/i.test(p));
      const weight = q === undefined ? 1 : Number(q.replace(/^q\s*=\s*/i, ''));
      return { language: parseLanguageTag(range), weight: Number.isFinite(weight) ? weight : 0, order };
    })
    .filter((entry) => entry.language !== null && entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.order - b.order);
  return ranked[0]?.language ?? null;
}

export interface LanguageSources {
  /** A choice the person made (`--lang`, `?lang=`); ignored when it names no catalog. */
  readonly explicit?: string | null | undefined;
  /** A browser's `Accept-Language` header. */
  readonly acceptLanguage?: string | null | undefined;
  /** The process environment (`LC_ALL`, `LC_MESSAGES`, `LANG`). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The language to answer in: the explicit choice, else the header, else the locale, else English. */
export function pickLanguage({ explicit, acceptLanguage, env }: LanguageSources = {}): Language {
  const chosen = explicit === null || explicit === undefined ? null : parseLanguageTag(explicit);
  if (chosen !== null) return chosen;
  const accepted =
    acceptLanguage === null || acceptLanguage === undefined
      ? null
      : languageFromAcceptLanguage(acceptLanguage);
  if (accepted !== null) return accepted;
  return env === undefined ? DEFAULT_LANGUAGE : languageFromEnv(env);
}
