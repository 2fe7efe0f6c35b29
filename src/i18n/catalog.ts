/**
 * The shape of a message catalog. English (`messages/en.ts`) is the reference: its keys are the message
 * keys, its `{name}` holes the values a message takes; every other catalog has exactly its keys, each a
 * string or a plural like the English one.
 */
import type { en } from './messages/en.js';

/**
 * A message with a form per plural category (`Intl.PluralRules`), chosen by its `count` value. English
 * needs `one` and `other`; Chinese has `other` only.
 */
export interface PluralMessage {
  readonly one?: string;
  readonly other: string;
}

export type Message = string | PluralMessage;

type English = typeof en;

export type MessageKey = keyof English;

/** Another language's catalog: every English key and no other (an object literal with `satisfies Catalog`). */
export type Catalog = {
  readonly [K in MessageKey]: English[K] extends string ? string : PluralMessage;
};

/** The text(s) of an English message, as literal types. */
type TextsOf<M> = M extends string ? M : M extends PluralMessage ? NonNullable<M['one']> | M['other'] : never;

/** The `{name}` holes of a message text. */
type Holes<S extends string> = S extends `${string}{${infer Name}}${infer Rest}` ? Name | Holes<Rest> : never;

/** The values a message takes: its holes, and `count` for a plural. */
export type PlaceholderOf<K extends MessageKey> =
  Holes<TextsOf<English[K]>> | (English[K] extends string ? never : 'count');

export type MessageValues<K extends MessageKey> = {
  readonly [P in PlaceholderOf<K>]: P extends 'count' ? number : string | number;
};

/** `[]` for a message without holes, `[values]` otherwise: `t('key')`, `t('key', { port })`. */
export type ValuesArg<K extends MessageKey> = [PlaceholderOf<K>] extends [never]
  ? []
  : [values: MessageValues<K>];

/**
 * Every English text must stay a literal type (a plain string in quotes or backticks without `${}`):
 * a widened `string` would hide its holes from the type of `t`.
 */
type Widened = { [K in MessageKey]: string extends TextsOf<English[K]> ? K : never }[MessageKey];
type NoneOf<T extends never> = T;
/** Fails to compile, naming the key, when an English text is a widened `string`. */
export type _EveryEnglishTextIsLiteral = NoneOf<Widened>;
