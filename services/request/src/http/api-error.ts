import { HttpException } from '@nestjs/common';

/**
 * An error the API answers on purpose: a stable `code` clients can switch on, and a message that
 * says what to fix. Everything the public API refuses goes through this type.
 */
export class ApiError extends HttpException {
  readonly code: string;
  readonly details?: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super({ error: { code, message, ...(details === undefined ? {} : { details }) } }, status);
    this.code = code;
    this.details = details;
  }
}
