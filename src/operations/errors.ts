/**
 * What an operator action refuses with (docs/fleet.md "Interfaces"): a stable code and the HTTP status the
 * API answers it with; the CLI prints the message and exits non-zero. The message says why in a sentence
 * an operator can act on; it never carries a database error or a stack.
 */
import { ProxyError, type ErrorCode } from '../errors.js';

export type OperationCode = Extract<
  ErrorCode,
  'NOT_FOUND' | 'CONFLICT' | 'INVALID' | 'BAD_REQUEST' | 'FLEET_OFF' | 'CATALOG_BUSY'
>;

const STATUS: Readonly<Record<OperationCode, number>> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID: 422,
  BAD_REQUEST: 400,
  // docs/fleet.md "Principles": with the fleet off its endpoints do not exist.
  FLEET_OFF: 404,
  // Another process holds the catalog's lock longer than an edit takes.
  CATALOG_BUSY: 503,
};

export class OperationError extends ProxyError {
  readonly operationCode: OperationCode;
  /** The request parameter or body key at fault, when there is one (`limit`, `rollout`, `board`). */
  readonly field: string | null;

  constructor(
    code: OperationCode,
    message: string,
    { field = null, cause }: { field?: string | null; cause?: unknown } = {},
  ) {
    super(code, message, { status: STATUS[code], cause });
    this.name = 'OperationError';
    this.operationCode = code;
    this.field = field;
  }
}

export const notFound = (message: string): OperationError => new OperationError('NOT_FOUND', message);
export const conflict = (message: string): OperationError => new OperationError('CONFLICT', message);
export const invalid = (message: string, field: string | null = null): OperationError =>
  new OperationError('INVALID', message, { field });
export const badRequest = (message: string, field: string | null = null): OperationError =>
  new OperationError('BAD_REQUEST', message, { field });
export const fleetOff = (): OperationError => new OperationError('FLEET_OFF', 'fleet is off');
