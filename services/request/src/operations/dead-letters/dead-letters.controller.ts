import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Allow } from '../../access/auth/allow.decorator';
import { ErrorDto } from '../../http/error.dto';
import { DeadLettersQuery } from './dead-letters.query';

export class ListDeadLettersQuery {
  @ApiPropertyOptional({ description: 'durable consumer that gave up, e.g. request--certflow_chain_complete_v1' }) consumer?: string;
  @ApiPropertyOptional({ default: 50, maximum: 500 }) limit?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) cursor?: string;
}

@ApiTags('dead-letters')
@ApiBearerAuth()
@Controller('api/v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly query: DeadLettersQuery) {}

  @Get()
  @Allow('operations:read')
  @ApiOperation({ summary: 'Messages a consumer gave up on after its last delivery, newest first; filter by consumer; page with cursor' })
  @ApiResponse({ status: 200, description: '{items: [{id, consumer, originalSubject, originalId, deliveries, error, requestId?, at, payload (first 2 KiB), payloadTruncated}], nextCursor}' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'INVALID_LIMIT or INVALID_CURSOR' })
  async list(@Query() q: ListDeadLettersQuery) {
    return this.query.list(q);
  }
}
