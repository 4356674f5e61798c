import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import { throwError } from 'rxjs';
import type { Logger } from 'pino';
import { RpcError, RpcUnavailableError } from '@certflow/messaging';
import { PkiInputError } from '@certflow/pki';
import { ApiError } from './api-error';
import { bodyTooLargeMessage } from './body-limits';
import { HTTP_LOGGER } from './http-logger';

/**
 * Codes for the HttpExceptions Nest raises itself (routing, and body-parser's errors, which Nest
 * re-throws keeping only status and message).
 */
const STATUS_CODES: Record<number, [string, string | null]> = {
  404: ['NOT_FOUND', 'no such route; see /api/docs for the API'],
  405: ['METHOD_NOT_ALLOWED', null],
  413: ['PAYLOAD_TOO_LARGE', 'the request body is too large; send at most the configured limit (CERTFLOW_MAX_BODY_BYTES)'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'send JSON (application/json), or PEM text where the API takes it'],
};

/**
 * Turns every error into `{"error":{code,message,details?}}`. Anything unexpected is logged and
 * answered as 500 INTERNAL without internals: a client never sees a stack trace.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@Inject(HTTP_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost) {
    // JetStream handlers share the app's global filters: give their errors back to the transport,
    // which retries or dead-letters them.
    if (host.getType() !== 'http') return throwError(() => exception);
    const res = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.toBody(exception, host.switchToHttp().getRequest<Request>()?.originalUrl);
    if (status >= 500) this.logger.error({ err: exception }, 'request failed');
    res.status(status).json(body);
  }

  private toBody(e: unknown, url?: string): [number, object] {
    if (e instanceof ApiError) return [e.getStatus(), e.getResponse() as object];
    if (e instanceof PkiInputError) return [400, { error: { code: e.code, message: e.message } }];
    if (e instanceof RpcError) {
      return [e.status, { error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } }];
    }
    if (e instanceof RpcUnavailableError) {
      return [503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'a certflow service did not answer; check that all four services run, then retry' } }];
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      if (status === 413) return [413, { error: { code: 'PAYLOAD_TOO_LARGE', message: bodyTooLargeMessage(e.cause, url) } }];
      if (status === 400 && /JSON|Unexpected (token|end)|position \d+/i.test(e.message)) {
        return [400, { error: { code: 'INVALID_JSON', message: `the request body is not valid JSON (${e.message})` } }];
      }
      const [code, message] = STATUS_CODES[status] ?? [status < 500 ? 'BAD_REQUEST' : 'INTERNAL', null];
      return [status, { error: { code, message: message ?? e.message } }];
    }
    return [500, { error: { code: 'INTERNAL', message: 'certflow failed to handle this request; see the service log' } }];
  }
}
