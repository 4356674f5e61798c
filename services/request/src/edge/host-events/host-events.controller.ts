import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Allow } from '../../access/auth/allow.decorator';
import { ErrorDto } from '../../http/error.dto';
import { HostEventFeed, MAX_WAIT_SECONDS, parseFeedQuery, type HostEventPage } from './host-event.feed';

export class HostEventsQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous answer; left out: from the first event' }) after?: string;
  @ApiPropertyOptional({ description: `seconds to wait for an event when there is none yet (0–${MAX_WAIT_SECONDS}); the answer comes as soon as one arrives`, default: 0 }) wait?: string;
  @ApiPropertyOptional({ default: 100, maximum: 500 }) limit?: string;
}

/** A fleet host's events, for `certflow agent` and anything else that must catch up after being away. */
@ApiTags('hosts')
@ApiBearerAuth()
@Controller('api/v1/hosts')
export class HostEventsController {
  constructor(private readonly feed: HostEventFeed) {}

  @Get(':host/events')
  @Allow('read', { host: 'path' })
  @ApiOperation({
    summary: "The host's events (certificate.assigned, …) as CloudEvents envelopes, oldest first, after a cursor; long-poll with wait",
    description: 'Readable by admin, trust-admin, viewer, and by requester and agent tokens whose patterns cover the host.',
  })
  @ApiResponse({ status: 200, description: '{items: [CloudEvent], nextCursor: "<position of the last event returned, or after>"}' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'INVALID_CURSOR, INVALID_WAIT, INVALID_LIMIT or INVALID_QUERY' })
  @ApiResponse({ status: 403, type: ErrorDto, description: 'HOST_NOT_ALLOWED: the token\'s patterns do not cover the host' })
  async events(@Param('host') host: string, @Query() q: HostEventsQuery, @Res({ passthrough: true }) res: Response): Promise<HostEventPage> {
    const query = parseFeedQuery(q as Record<string, unknown>);
    // A client that gave up stops the waiting at its next wake-up rather than at the deadline.
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    return this.feed.read(host, query, gone.signal);
  }
}
