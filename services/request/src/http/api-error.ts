import { HttpException } from '@nestjs/common';
import type { ErrorCode } from '@certflow/contracts';

/**
 * An error the API answers on purpose: a stable `code` clients can switch on, and a message that
 * says what to fix. Everything the public API refuses goes through this type; the code must be one
 * of the catalog in libs/contracts/src/error-codes.ts (add it there first).
 */
export class ApiError extends HttpException {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(status: number, code: ErrorCode, message: string, details?: unknown) {
    super({ error: { code, message, ...(details === undefined ? {} : { details }) } }, status);
    this.code = code;
    this.details = details;
  }
}
