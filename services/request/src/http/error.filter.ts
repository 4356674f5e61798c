import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Response } from 'express';
import { throwError } from 'rxjs';
import type { Logger } from 'pino';
import { RpcError, RpcUnavailableError } from '@certflow/messaging';
import { PkiInputError } from '@certflow/pki';
import { ApiError } from './api-error';

export const HTTP_LOGGER = 'HTTP_LOGGER';

/** body-parser's error types, and the stable codes we answer them with. */
const BODY_ERRORS: Record<string, [number, string, string]> = {
  'entity.too.large': [413, 'PAYLOAD_TOO_LARGE', 'the request body is too large; send at most the configured limit (CERTFLOW_MAX_BODY_BYTES)'],
  'entity.parse.failed': [400, 'INVALID_JSON', 'the request body is not valid JSON'],
  'encoding.unsupported': [415, 'UNSUPPORTED_ENCODING', 'send the body as UTF-8'],
  'charset.unsupported': [415, 'UNSUPPORTED_ENCODING', 'send the body as UTF-8'],
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
    const [status, body] = this.toBody(exception);
    if (status >= 500) this.logger.error({ err: exception }, 'request failed');
    res.status(status).json(body);
  }

  private toBody(e: unknown): [number, object] {
    if (e instanceof ApiError) return [e.getStatus(), e.getResponse() as object];
    if (e instanceof PkiInputError) return [400, { error: { code: e.code, message: e.message } }];
    if (e instanceof RpcError) {
      return [e.status, { error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } }];
    }
    if (e instanceof RpcUnavailableError) {
      return [503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'a certflow service did not answer; check that all four services run, then retry' } }];
    }
    const type = (e as { type?: string })?.type;
    if (type && BODY_ERRORS[type]) {
      const [status, code, message] = BODY_ERRORS[type];
      return [status, { error: { code, message } }];
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      // Nest re-throws body-parser's errors as HttpExceptions, keeping only the status and message.
      if (status === 413) return [413, { error: { code: 'PAYLOAD_TOO_LARGE', message: BODY_ERRORS['entity.too.large'][2] } }];
      if (status === 400 && /JSON|Unexpected (token|end)|position \d+/i.test(e.message)) {
        return [400, { error: { code: 'INVALID_JSON', message: `the request body is not valid JSON (${e.message})` } }];
      }
      const code = status === 404 ? 'NOT_FOUND' : status === 405 ? 'METHOD_NOT_ALLOWED' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
      const message = status === 404 ? 'no such route; see /api/docs for the API' : e.message;
      return [status, { error: { code, message } }];
    }
    return [500, { error: { code: 'INTERNAL', message: 'certflow failed to handle this request; see the service log' } }];
  }
}
