import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { ConsoleEventsService, type ConsoleEvent } from './console-events.service';
import { ConsoleStreams } from './console-streams.registry';
import { SseWriter } from './console-stream.writer';
import { streamScopeOf } from './console-stream.scope';
import { consoleStreamsClosed } from './console-stream.metrics';
import { Allow } from '../access/auth/allow.decorator';
import type { Caller } from '../access/auth/token.guard';
import { ApiError } from '../http/api-error';
import { HTTP_LOGGER } from '../http/http-logger';

const HEARTBEAT_MS = 15_000;

/**
 * Live updates for the console and for scripts: server-sent events, bearer-authenticated like every
 * /api/v1 route (browsers read it with fetch(), not EventSource, so the token never goes in a URL).
 */
@ApiTags('events')
@ApiBearerAuth()
@Controller('api/v1/events')
export class ConsoleEventsController {
  constructor(
    private readonly events: ConsoleEventsService,
    private readonly streams: ConsoleStreams,
    @Inject(HTTP_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('stream')
  @Allow('read', { host: 'filtered' })
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Live events (text/event-stream)',
    description:
      'Server-sent events, kept open. `event: hello` first; then `event: certflow` — every NATS event on certflow.> as `{id, type, subject, time, data}` ' +
      '(data without PEM fields: csr, certificate, chain, pem, pathPem). `event: request.updated` — `{id, host, issuer, state, updatedAt}` ' +
      'once a request\'s stored state changed after an event: re-read GET /api/v1/requests/{id} then. ' +
      'A comment line `: ping` every 15 s keeps proxies from closing the stream. Not durable: after a reconnect, re-read what you show. ' +
      'A `requester` (or other host-scoped) token gets only events about its hosts: none that name no host (trust-store changes), and a request\'s events once its host is known. ' +
      'When the token is revoked (on any instance) the stream ends within about 2 s after `event: closed` `{code: "TOKEN_REVOKED", message}`. ' +
      'A reader that falls more than 256 KiB behind is disconnected (reconnect and re-read). Open streams are capped per token and per instance (429 TOO_MANY_STREAMS).',
  })
  @ApiResponse({
    status: 200,
    description: 'An open stream of server-sent events',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'event: request.updated\ndata: {"id":"…","host":"web01.corp.example.com","issuer":"internal","state":"ASSIGNED","updatedAt":"…"}\n\n' } } },
  })
  @ApiResponse({ status: 401, description: 'no valid bearer token' })
  @ApiResponse({
    status: 429,
    description:
      'TOO_MANY_STREAMS: the token already holds CERTFLOW_SSE_MAX_PER_TOKEN open streams (default 5), or this instance CERTFLOW_SSE_MAX_STREAMS (default 500); close one and retry',
  })
  async stream(@Req() req: Request & { caller?: Caller }, @Res() res: Response): Promise<void> {
    const caller = req.caller;
    // The guard sets the caller on every /api/v1 route; without one, refuse rather than stream everything.
    if (!caller) throw new ApiError(401, 'UNAUTHENTICATED', 'send `Authorization: Bearer <token>`');
    let end: (why?: { code: string; message: string }) => void = () => undefined;
    let release: () => void;
    try {
      release = this.streams.open(caller, () => end(REVOKED));
    } catch (e) {
      res.setHeader('Retry-After', '5');
      throw e;
    }
    let closed = false;
    let ping: NodeJS.Timeout | undefined;
    let detach: () => void = () => undefined;
    res.on('close', () => {
      closed = true;
      clearInterval(ping);
      detach();
      release();
    });
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    const out = new SseWriter(res, () => {
      consoleStreamsClosed.inc({ reason: 'slow_reader' });
      this.logger.warn({ caller: caller.name, queuedBytes: res.writableLength }, 'console stream dropped: its reader fell behind');
    });
    let n = 0;
    end = (why) => {
      clearInterval(ping);
      // Said before the end so a client knows not to reconnect with the same token.
      out.end(why ? `event: closed\ndata: ${JSON.stringify({ code: why.code, message: why.message })}\n\n` : undefined);
    };
    detach = await this.events.attach({
      scope: streamScopeOf(caller),
      send: (e: ConsoleEvent) => out.send(`id: ${++n}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`),
      end: () => end(),
    });
    if (closed) return detach();
    // `hello` once the subscription is live, so a client knows it sees every event from now on.
    out.send(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ time: new Date().toISOString() })}\n\n`);
    ping = setInterval(() => out.send(': ping\n\n'), HEARTBEAT_MS);
  }
}

const REVOKED = { code: 'TOKEN_REVOKED', message: 'the token of this stream was revoked; sign in with another token' };
