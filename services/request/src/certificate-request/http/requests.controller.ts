import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { HostScope, type Caller } from '../../access/auth/token.guard';
import { Allow } from '../../access/auth/allow.decorator';
import { UploadCertificateHandler } from '../commands/upload-certificate/upload-certificate.handler';
import type { RequestView } from '@certflow/contracts';
import { SubmitRequestHandler } from '../commands/submit-request/submit-request.handler';
import { AssignRequestHandler } from '../commands/assign-request/assign-request.handler';
import { RequestQueryService } from './request-query.service';
import { ErrorDto } from '../../http/error.dto';
import { AssignRequestDto, CountRequestsQuery, ListRequestsQuery, SubmitRequestDto, UploadCertificateDto } from './request.dto';

@ApiTags('requests')
@ApiBearerAuth()
@Controller('api/v1/requests')
export class RequestsController {
  constructor(
    private readonly submit: SubmitRequestHandler,
    private readonly assign: AssignRequestHandler,
    private readonly queries: RequestQueryService,
    private readonly upload: UploadCertificateHandler,
  ) {}

  @Post()
  @Allow('request:submit', { host: 'body' })
  @ApiOperation({ summary: 'Request a certificate for a host from a CSR' })
  @ApiBody({ type: SubmitRequestDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first request.' })
  @ApiResponse({ status: 201, description: 'RequestView' })
  @ApiResponse({ status: 200, description: 'RequestView of the earlier request with this Idempotency-Key' })
  @ApiResponse({ status: 400, type: ErrorDto })
  async create(@Body() body: unknown, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response): Promise<RequestView> {
    const { created, request } = await this.submit.execute(body, key);
    res.status(created ? 201 : 200);
    if (created) res.setHeader('Location', `/api/v1/requests/${request.id}`);
    return created ? this.queries.viewSubmitted(request) : this.queries.view(request);
  }

  @Get()
  @Allow('read', { host: 'filtered' })
  @ApiOperation({ summary: 'List requests, newest first; filter by state, host and issuer; page with cursor (a requester or agent token sees only its hosts)' })
  async list(@Query() q: ListRequestsQuery, @HostScope() scope: readonly string[] | null) {
    return this.queries.list(q, scope);
  }

  // Declared before ':id' so that /api/v1/requests/counts is not read as a request id.
  @Get('counts')
  @Allow('read', { host: 'filtered' })
  @ApiOperation({ summary: 'How many requests are in each state (all states, zeros included); filter by host and issuer (a requester or agent token counts only its hosts)' })
  @ApiResponse({ status: 200, description: '{counts: {SUBMITTED: n, PENDING: n, …}, total: n}' })
  async counts(@Query() q: CountRequestsQuery, @HostScope() scope: readonly string[] | null) {
    return this.queries.counts(q, scope);
  }

  @Get(':id')
  @Allow('read', { host: 'request' })
  @ApiOperation({ summary: 'One request: state, certificate, validation, assignment, history' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'REQUEST_NOT_FOUND: no such request, or (requester, agent) another host\'s' })
  async get(@Param('id') id: string): Promise<RequestView> {
    return this.queries.get(id);
  }

  @Post(':id/assign')
  @Allow('request:write', { host: 'request' })
  @HttpCode(202)
  @ApiOperation({ summary: 'Assign an ASSIGNABLE request to its usages (the wizard\'s Assign)' })
  @ApiBody({ type: AssignRequestDto, required: false })
  @ApiResponse({ status: 202, description: 'RequestView; certificate.assigned follows' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'NOT_ASSIGNABLE, with the validation result in details' })
  async assignRequest(@Param('id') id: string, @Body() body: unknown, @Req() req: Request & { caller?: Caller }): Promise<RequestView> {
    const { request } = await this.assign.execute(id, body, req.caller?.name);
    return this.queries.view(request);
  }

  @Post(':id/certificate')
  @Allow('request:write', { host: 'request' })
  @HttpCode(202)
  @ApiOperation({ summary: 'Upload the certificate an offline CA returned for a PENDING request' })
  @ApiBody({ type: UploadCertificateDto })
  @ApiResponse({ status: 202, description: 'RequestView; certificate.issued follows' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'not a certificate, not for the CSR\'s key (KEY_MISMATCH), or not for exactly the request\'s names (CERTIFICATE_NAMES_MISMATCH, details {missing, extra})' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'NOT_OFFLINE or NOT_PENDING' })
  async uploadCertificate(@Param('id') id: string, @Body() body: unknown, @Req() req: Request & { caller?: Caller }): Promise<RequestView> {
    const request = await this.upload.execute(id, body, req.caller?.name ?? 'unknown');
    return this.queries.view(request);
  }
}
