import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Allow } from '../auth/allow.decorator';
import { ErrorDto } from '../../http/error.dto';
import { AUDIT_KINDS, AuditStore } from './audit.store';

export class ListAuditQuery {
  @ApiPropertyOptional({ enum: AUDIT_KINDS }) kind?: string;
  @ApiPropertyOptional({ description: 'token name, `admin` (bootstrap token), `auto` (autoAssign) or `system`' }) actor?: string;
  @ApiPropertyOptional({ default: 50, maximum: 500 }) limit?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) cursor?: string;
}

/** The append-only audit log: trust-store changes, assignments, token lifecycle. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditStore) {}

  @Get()
  @Allow('audit:read')
  @ApiOperation({ summary: 'Audit entries, newest first; filter by kind and actor; page with cursor' })
  @ApiResponse({ status: 200, description: '{items: [{id, at, kind, actor, subject, details}], nextCursor}' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'INVALID_KIND, INVALID_LIMIT, INVALID_CURSOR' })
  async list(@Query() q: ListAuditQuery) {
    return this.audit.list(q);
  }
}
