/**
 * Low-level upstream failures mapped to gateway outcomes, in one table (docs/contributing.md §8).
 * The original error stays the `cause`: logged, never sent to a device.
 */

/** How an exchange with the upstream failed in transport: no reply, or a reply that could not be read. */
export type TransportFailure =
  'refused' | 'timeout' | 'reset' | 'unreachable' | 'truncated' | 'too-large' | 'bad-encoding' | 'protocol';

/** Failures that mean the upstream could not be reached or did not answer (not a reply it got wrong). */
const UNREACHED: ReadonlySet<string> = new Set<TransportFailure>([
  'refused',
  'timeout',
  'reset',
  'unreachable',
]);

/** Whether a failure kind (as logged) means the upstream could not be reached. */
export function isUnreached(failure: string): boolean {
  return UNREACHED.has(failure);
}

/** Why an OTA exchange with the upstream did not yield a usable reply (docs/configuration.md "Which reply a device gets"). */
export type UpstreamFailure =
  | TransportFailure
  | 'bad-status'
  | 'empty-body'
  | 'not-json'
  | 'not-object'
  | 'reply-too-large'
  | 'breaker-open';

const byErrorCode: Readonly<Record<string, TransportFailure>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_OVERFLOW: 'protocol',
  // A Content-Length that is not a number (`12abc`) or disagrees with the bytes before any reply was read.
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  UPSTREAM_TIMEOUT: 'timeout',
  ENOTFOUND: 'unreachable',
  EAI_AGAIN: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  HPE_INVALID_CONSTANT: 'protocol',
  HPE_INVALID_HEADER_TOKEN: 'protocol',
  HPE_INVALID_CONTENT_LENGTH: 'protocol',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'protocol',
  HPE_INVALID_CHUNK_SIZE: 'protocol',
  HPE_INVALID_TRANSFER_ENCODING: 'protocol',
  HPE_INVALID_STATUS: 'protocol',
  HPE_INVALID_VERSION: 'protocol',
  HPE_HEADER_OVERFLOW: 'protocol',
  HPE_LF_EXPECTED: 'protocol',
  HPE_CR_EXPECTED: 'protocol',
  Z_DATA_ERROR: 'bad-encoding',
  Z_BUF_ERROR: 'truncated',
  ERR_PADDING_1: 'bad-encoding',
  ERR__ERROR_FORMAT_PADDING_1: 'bad-encoding',
};

/**
 * undici's socket errors that mean the upstream broke HTTP rather than the connection: a 101 with `Upgrade`
 * nobody asked for, a `100 Continue` to a request that did not expect one.
 */
const UNDICI_PROTOCOL_MESSAGES: ReadonlySet<string> = new Set(['bad upgrade', 'bad response']);

/** Maps a Node/libuv/llhttp/undici/zlib error to a failure kind; anything unknown counts as a reset. */
export function classifyUpstreamError(error: unknown): TransportFailure {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === 'UND_ERR_SOCKET' && UNDICI_PROTOCOL_MESSAGES.has((error as Error).message)) return 'protocol';
  // undici's llhttp errors carry no code, only their class.
  if ((error as Error | null)?.name === 'HTTPParserError') return 'protocol';
  return (
    byErrorCode[code] ??
    (code.startsWith('HPE_') ? 'protocol' : code.startsWith('Z_') ? 'bad-encoding' : 'reset')
  );
}

/** The status a device gets when no fallback can answer: 504 for a timeout, 502 for everything else. */
export function failureStatus(failure: UpstreamFailure): 502 | 504 {
  return failure === 'timeout' ? 504 : 502;
}
