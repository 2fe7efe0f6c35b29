/**
 * What one buffered exchange with the upstream yielded, and what that means for the reply table: the
 * verdict `decideReply` reads (docs/configuration.md "Which reply a device gets"). The OTA check and
 * /admin/explain both judge with this one function.
 */
import { classifyUpstreamBody } from '../rewrite/folded-json.js';
import type { Verdict } from './reply-table.js';
import type { UpstreamFailure } from './upstream-failure.js';

/** The reply's headers as Node gives them (lowercased names); only Content-Type is read here. */
export interface UpstreamHeaders {
  readonly 'content-type'?: string | undefined;
  readonly [name: string]: string | readonly string[] | undefined;
}

/** A buffered exchange: the whole decoded reply, or why there is none; `ms` is the upstream time. */
export type UpstreamExchange =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: UpstreamHeaders;
      /** Decoded (identity) bytes. */
      readonly body: Buffer;
      readonly ms: number;
    }
  | {
      readonly kind: 'failure';
      readonly failure: UpstreamFailure;
      /** The error behind it (an `UpstreamError` from the client): logged, never sent to a device. */
      readonly cause: unknown;
      readonly ms: number;
      readonly status?: number;
    };

/** Reads one upstream exchange against the reply table. */
export function judgeUpstream(result: UpstreamExchange): Verdict {
  if (result.kind === 'failure') return { kind: 'failure', failure: result.failure, cause: result.cause };
  const { status } = result;
  if (status >= 400 && status <= 499) {
    return { kind: 'client-error', status, contentType: result.headers['content-type'], body: result.body };
  }
  if (status < 200 || status > 299)
    return { kind: 'failure', failure: 'bad-status', cause: `upstream status ${status}` };
  if (result.body.length === 0)
    return { kind: 'failure', failure: 'empty-body', cause: 'upstream 2xx without a body' };
  const text = result.body.toString('utf8');
  const parsed = classifyUpstreamBody(text);
  switch (parsed.kind) {
    case 'sections':
      return { kind: 'sections', body: parsed.body, text };
    case 'other-object':
      return { kind: 'other-object', body: parsed.body, text };
    case 'not-object':
      return { kind: 'failure', failure: 'not-object', cause: 'upstream JSON is not an object' };
    case 'invalid':
      return { kind: 'failure', failure: 'not-json', cause: parsed.reason };
    default:
      return assertNever(parsed);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
