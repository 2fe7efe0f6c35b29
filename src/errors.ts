/**
 * One small error hierarchy: a stable `code` (API: tests assert it, never the message), the HTTP
 * status a client would see, and the low-level `cause` (logged, never sent to a client).
 */
import { failureStatus, type TransportFailure } from './gateway/upstream-failure.js';

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'CATALOG_INVALID'
  | 'LISTEN_FAILED'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_RESET'
  | 'UPSTREAM_TOO_LARGE'
  | 'UPSTREAM_BAD_REPLY'
  // Operator actions (src/operations/): what the API answers 404, 409, 422, 400 and 503 for.
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID'
  | 'BAD_REQUEST'
  | 'FLEET_OFF'
  | 'CATALOG_BUSY';

export class ProxyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(
    code: ErrorCode,
    message: string,
    { status = 500, cause }: { status?: number; cause?: unknown } = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ProxyError';
    this.code = code;
    this.status = status;
  }
}

/** Where a configuration problem sits: the key path and its position in the file. */
export interface ConfigIssue {
  /** Dotted key path with list indices, e.g. `websocket[1].when.source`. */
  readonly path: string;
  /** The whole sentence: `` `upstream.url` must be an http(s) URL (got "localhost:8002") at config/proxy.yaml:4:8 ``. */
  readonly message: string;
  readonly file: string;
  /** 1-based; 0 when the problem has no position (e.g. a missing file). */
  readonly line: number;
  readonly col: number;
}

/** A configuration (or catalog) file that cannot be used; `issues` lists every problem found. */
export class ConfigError extends ProxyError {
  readonly issues: readonly ConfigIssue[];

  constructor(
    issues: readonly ConfigIssue[],
    { code = 'CONFIG_INVALID', cause }: { code?: ErrorCode; cause?: unknown } = {},
  ) {
    super(code, issues.map((i) => i.message).join('\n'), { status: 500, cause });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** The code an upstream exchange failure carries, by its gateway outcome. */
const UPSTREAM_CODES: Readonly<Record<TransportFailure, ErrorCode>> = {
  refused: 'UPSTREAM_UNREACHABLE',
  unreachable: 'UPSTREAM_UNREACHABLE',
  timeout: 'UPSTREAM_TIMEOUT',
  reset: 'UPSTREAM_RESET',
  truncated: 'UPSTREAM_RESET',
  'too-large': 'UPSTREAM_TOO_LARGE',
  protocol: 'UPSTREAM_BAD_REPLY',
  'bad-encoding': 'UPSTREAM_BAD_REPLY',
};

/**
 * An exchange with the upstream that yielded no usable reply: `failure` is the gateway outcome (the reply
 * table's input), `cause` the low-level error behind it, if any (logged, never sent to a device).
 */
export class UpstreamError extends ProxyError {
  readonly failure: TransportFailure;

  constructor(failure: TransportFailure, message: string, { cause }: { cause?: unknown } = {}) {
    super(UPSTREAM_CODES[failure], message, { status: failureStatus(failure), cause });
    this.name = 'UpstreamError';
    this.failure = failure;
  }
}
