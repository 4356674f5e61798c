import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import { JetStreamContext } from './jetstream.context';

/**
 * Keeps the error a JetStream handler really threw. Nest's RPC exception layer replaces any error
 * that is not an `RpcException` with "Internal server error" before the transport sees it; this
 * interceptor runs inside that layer and records the original on the `JetStreamContext`, so retry
 * logs and dead letters say what went wrong. It rethrows unchanged and ignores every other context
 * (HTTP, other transports). `MessagingModule` registers it globally.
 */
@Injectable()
export class JetStreamFailureInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const ctx = context.switchToRpc().getContext<unknown>();
    if (!(ctx instanceof JetStreamContext)) return next.handle();
    return next.handle().pipe(
      catchError((error: unknown) => {
        ctx.failure = { error };
        return throwError(() => error);
      }),
    );
  }
}
