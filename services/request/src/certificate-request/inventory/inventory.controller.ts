import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import { CERTIFICATE_STATUSES, type CertificateInventoryPage, type ExpirySummaryView } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { Allow } from '../../access/auth/allow.decorator';
import { HostScope } from '../../access/auth/token.guard';
import { ErrorDto } from '../../http/error.dto';
import { queryThrough } from '../persistence/certificate-request.repository';
import { INVENTORY_DEFAULT_LIMIT, INVENTORY_MAX_LIMIT, SUMMARY_MAX_DAYS, expirySummary, inventoryPage, parseInventoryQuery, parseSummaryDays } from './inventory.query';

export class InventoryQuery {
  @ApiPropertyOptional() host?: string;
  @ApiPropertyOptional({ description: 'issuer name, e.g. internal' }) issuer?: string;
  @ApiPropertyOptional({ description: 'SHA-1 thumbprint of the issuing CA certificate (the validated path\'s second certificate, or the chain\'s first)' }) issuedBy?: string;
  @ApiPropertyOptional({ enum: CERTIFICATE_STATUSES }) status?: string;
  @ApiPropertyOptional({ description: 'ISO 8601 date-time: only certificates whose notAfter is before it', example: '2030-01-31T00:00:00Z' }) expiresBefore?: string;
  @ApiPropertyOptional({ default: INVENTORY_DEFAULT_LIMIT, maximum: INVENTORY_MAX_LIMIT }) limit?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) cursor?: string;
}

export class ExpirySummaryQuery {
  @ApiPropertyOptional({ default: 90, maximum: SUMMARY_MAX_DAYS }) days?: string;
}

/**
 * The certificate inventory. Declared in the requests module, which Nest routes before the edge's
 * `GET /api/v1/certificates/{thumbprint}`: `expiry-summary` is never read as a thumbprint.
 */
@ApiTags('certificates')
@ApiBearerAuth()
@Controller('api/v1/certificates')
export class InventoryController {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @Allow('read', { host: 'filtered' })
  @ApiOperation({
    summary: 'The certificate inventory: every request that has a certificate, soonest notAfter first, with its status and renewal; keyset paging with cursor',
    description: 'status: revoked (revoked, or its revocation sent to the CA), superseded (its bindings were taken over), expired (notAfter passed), else active. A requester or agent token sees only its hosts.',
  })
  @ApiResponse({ status: 200, description: '{items: [{thumbprint, requestId, host, issuer, notBefore, notAfter, status, usages, requestState, renewal?, issuedBy?, revocation?}], nextCursor}' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'INVALID_STATUS, INVALID_THUMBPRINT (issuedBy), INVALID_EXPIRES_BEFORE, INVALID_LIMIT, INVALID_CURSOR, INVALID_QUERY' })
  async list(@Query() q: InventoryQuery, @HostScope() scope: readonly string[] | null): Promise<CertificateInventoryPage> {
    return inventoryPage(queryThrough(this.ds.manager), parseInventoryQuery(q as Record<string, unknown>), this.clock.now(), scope);
  }

  @Get('expiry-summary')
  @Allow('read', { host: 'filtered' })
  @ApiOperation({ summary: 'Active (not superseded) certificates by week of notAfter for the next `days` (default 90), and how many expired already' })
  @ApiResponse({ status: 200, description: '{from, days, expired, weeks: [{start, end, count}]}' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'INVALID_DAYS' })
  async summary(@Query() q: ExpirySummaryQuery, @HostScope() scope: readonly string[] | null): Promise<ExpirySummaryView> {
    return expirySummary(queryThrough(this.ds.manager), parseSummaryDays(q as Record<string, unknown>), this.clock.now(), scope);
  }
}
