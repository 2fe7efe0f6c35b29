/** The rule pipeline's shapes (docs/contributing.md §3; docs/configuration.md "Rules, in order"). */
import type { Config } from '../config/types.js';
import type { DeviceFacts, RequestFacts } from '../device/types.js';
import type { FirmwareDecision } from '../firmware/types.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Everything a rule may read; rules never reach for the clock or the network themselves. */
export interface RuleContext {
  readonly config: Config;
  readonly device: DeviceFacts;
  readonly request: RequestFacts;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** The catalog's decision for this check, made before the rules run. */
  readonly offer: FirmwareDecision;
}

/** What a rule did: `applied` names it in the check's log line; `note` says why it held back. */
export interface RuleOutcome {
  readonly body: JsonObject;
  readonly applied: boolean;
  readonly note?: string;
}

export interface Rule {
  readonly name: string;
  /** Pure: returns new data, never mutates `body`. */
  apply(body: JsonObject, ctx: RuleContext): RuleOutcome;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
