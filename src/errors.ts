/**
 * One small error hierarchy: a stable `code` (API: tests assert it, never the message), the HTTP
 * status a client would see, and the low-level `cause` (logged, never sent to a client).
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'CATALOG_INVALID'
  | 'FIRMWARE_NOT_FOUND'
  | 'RANGE_NOT_SATISFIABLE'
  | 'DEVICE_BODY_TOO_LARGE'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_RESET'
  | 'UPSTREAM_BAD_STATUS'
  | 'UPSTREAM_BAD_BODY'
  | 'UPSTREAM_TOO_LARGE'
  | 'REPLY_TOO_LARGE'
  | 'BREAKER_OPEN'
  | 'LISTEN_FAILED';

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
