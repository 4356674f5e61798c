import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import { httpRequestSeconds } from '../metrics/http.metrics';
import { acceptCorrelationId, annotateTrace, currentTrace, runWithTrace } from './log-context';

/** The header a caller may send to name its call; answered on every response. */
export const CORRELATION_HEADER = 'x-request-id';

type TracedRequest = IncomingMessage & { correlationId?: string; route?: { path?: string }; baseUrl?: string; params?: Record<string, string> };

/**
 * Express middleware, first in the chain: gives the call its correlation id (the caller's
 * `X-Request-Id` when sane, else a new one), answers it in `X-Request-Id`, runs the rest in a trace
 * context holding it, times the call into `certflow_http_request_seconds` and, at debug level,
 * logs one line per call (method, route pattern, status, ms — never the path, query or headers).
 */
export function httpTrace(logger?: Pick<Logger, 'debug' | 'isLevelEnabled'>) {
  return (req: TracedRequest, res: ServerResponse, next: () => void): void => {
    const correlationId = acceptCorrelationId(req.headers[CORRELATION_HEADER]);
    req.correlationId = correlationId;
    res.setHeader('X-Request-Id', correlationId);
    const started = process.hrtime.bigint();
    runWithTrace({ correlationId }, () => {
      // The context itself, which the handler adds to (a new request's id), for the access line. Not
      // AsyncResource.bind: a resource and a deprecation wrapper per call cost more than the line.
      const trace = currentTrace();
      res.once('finish', () => {
        const route = req.route?.path ? `${req.baseUrl ?? ''}${req.route.path}` : 'other';
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        httpRequestSeconds.observe({ method: req.method ?? 'GET', route, status: String(res.statusCode) }, seconds);
        if (logger?.isLevelEnabled('debug')) {
          runWithTrace({ ...trace }, () => logger.debug({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'http call served'));
        }
      });
      next();
    });
  };
}

/**
 * Nest interceptor: re-enters the call's trace context where the handler runs (a body parser calls
 * on from a stream event, where the middleware's context may be lost) and adds the request id when
 * `requestIdOf` finds one in the route (e.g. `/api/v1/requests/:id`).
 */
@Injectable()
export class HttpTraceInterceptor implements NestInterceptor {
  constructor(private readonly requestIdOf: (req: TracedRequest) => string | undefined = () => undefined) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<TracedRequest>();
    const requestId = this.requestIdOf(req);
    const trace = currentTrace();
    if (trace && trace.correlationId === req.correlationId) {
      // The middleware's context reached the handler: add to it, so its access line sees the id too.
      if (requestId) annotateTrace({ requestId });
      return next.handle();
    }
    // Lost on the way (a body parser calls on from a stream event): enter it again. Nest binds the
    // handler's async scope when handle() is called, so calling it inside the context is enough.
    const fields = { correlationId: req.correlationId, ...(requestId ? { requestId } : {}) };
    return runWithTrace(fields, () => next.handle());
  }
}
