import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ConsoleEventsService, type ConsoleEvent } from './console-events.service';
import { Allow } from '../auth/allow.decorator';

const HEARTBEAT_MS = 15_000;

/**
 * Live updates for the console and for scripts: server-sent events, bearer-authenticated like every
 * /api/v1 route (browsers read it with fetch(), not EventSource, so the token never goes in a URL).
 */
@ApiTags('events')
@ApiBearerAuth()
@Controller('api/v1/events')
export class ConsoleEventsController {
  constructor(private readonly events: ConsoleEventsService) {}

  @Get('stream')
  @Allow('read')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Live events (text/event-stream)',
    description:
      'Server-sent events, kept open. `event: hello` first; then `event: certflow` — every NATS event on certflow.> as `{id, type, subject, time, data}` ' +
      '(data without PEM fields: csr, certificate, chain, pem). `event: request.updated` — `{id, host, issuer, state, updatedAt}` ' +
      'once a request\'s stored state changed after an event: re-read GET /api/v1/requests/{id} then. ' +
      'A comment line `: ping` every 15 s keeps proxies from closing the stream. Not durable: after a reconnect, re-read what you show.',
  })
  @ApiResponse({
    status: 200,
    description: 'An open stream of server-sent events',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'event: request.updated\ndata: {"id":"…","host":"web01.corp.example.com","issuer":"internal","state":"ASSIGNED","updatedAt":"…"}\n\n' } } },
  })
  @ApiResponse({ status: 401, description: 'no valid bearer token' })
  async stream(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    let n = 0;
    const send = (e: ConsoleEvent) => {
      res.write(`id: ${++n}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
    };
    let closed = false;
    let ping: NodeJS.Timeout | undefined;
    let detach: () => void = () => undefined;
    req.on('close', () => {
      closed = true;
      clearInterval(ping);
      detach();
    });
    detach = await this.events.attach(send, () => {
      clearInterval(ping);
      res.end();
    });
    if (closed) return detach();
    // `hello` once the subscription is live, so a client knows it sees every event from now on.
    res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ time: new Date().toISOString() })}\n\n`);
    ping = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  }
}
