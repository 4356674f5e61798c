import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { HostScope, type Caller } from '../../access/auth/token.guard';
import { Allow } from '../../access/auth/allow.decorator';
import { UploadCertificateHandler } from '../commands/upload-certificate/upload-certificate.handler';
import type { BatchResultView, BatchSubmitView, RequestView } from '@certflow/contracts';
import { SubmitRequestHandler } from '../commands/submit-request/submit-request.handler';
import { SubmitBatchHandler, type BatchOutcome } from '../commands/submit-batch/submit-batch.handler';
import { AssignRequestHandler } from '../commands/assign-request/assign-request.handler';
import { RenewRequestHandler } from '../renewal/renew-request.handler';
import { RequestQueryService } from './request-query.service';
import { ErrorDto } from '../../http/error.dto';
import { AssignRequestDto, CountRequestsQuery, ListRequestsQuery, RenewRequestDto, SubmitRequestDto, UploadCertificateDto } from './request.dto';
import { BatchSubmitDto, MAX_BATCH_ITEMS, SubmitBatchDto, parseBatchBody } from './submit-batch.dto';

@ApiTags('requests')
@ApiBearerAuth()
@Controller('api/v1/requests')
export class RequestsController {
  constructor(
    private readonly submit: SubmitRequestHandler,
    private readonly assign: AssignRequestHandler,
    private readonly queries: RequestQueryService,
    private readonly upload: UploadCertificateHandler,
    private readonly submitBatch: SubmitBatchHandler,
    private readonly renew: RenewRequestHandler,
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

  @Post('batch')
  @Allow('request:submit', { host: 'items' })
  @HttpCode(200)
  @ApiOperation({
    summary: `Request certificates for up to ${MAX_BATCH_ITEMS} hosts in one call: one result per item, in order`,
    description:
      'Each item is what POST /api/v1/requests takes, plus its own `idempotencyKey`, and gets what that route would answer it alone, as `status` ' +
      'with `request` (201 stored, 200 the earlier request of its key) or `error` (4xx, that item stored nothing). One refused item does not stop ' +
      'the others: the call answers 200 once the batch was processed. A host-scoped token (requester, agent) gets 403 HOST_NOT_ALLOWED in the slot ' +
      'of an item for a host it may not use. Body limit: CERTFLOW_MAX_BATCH_BODY_BYTES (default 8 MiB).',
  })
  @ApiBody({ type: SubmitBatchDto })
  @ApiResponse({ status: 200, type: BatchSubmitDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'the whole call: INVALID_BODY (not {items: [...]}, or no items), UNKNOWN_FIELD, TOO_MANY_ITEMS (more than 1000)' })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'PAYLOAD_TOO_LARGE: the body is over CERTFLOW_MAX_BATCH_BODY_BYTES; send fewer items per call' })
  async createMany(@Body() body: unknown, @Req() req: Request & { caller?: Caller }): Promise<BatchSubmitView> {
    const outcomes = await this.submitBatch.execute(parseBatchBody(body), req.caller);
    return { results: await this.batchResults(outcomes) };
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

  /** Views for the stored and replayed items (the replays' histories in one query), refusals as they are. */
  private async batchResults(outcomes: BatchOutcome[]): Promise<BatchResultView[]> {
    const replayed = outcomes.flatMap((o) => ('request' in o && !o.created ? [o.request] : []));
    const views = new Map((await this.queries.viewMany(replayed)).map((v) => [v.id, v]));
    return outcomes.map((o) => {
      if (!('request' in o)) return { index: o.index, status: o.status, error: o.error };
      return { index: o.index, status: o.created ? 201 : 200, request: o.created ? this.queries.viewSubmitted(o.request) : views.get(o.request.id)! };
    });
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

  @Post(':id/renew')
  @Allow('request:submit', { host: 'request' })
  @ApiOperation({
    summary: 'Renew an ASSIGNED request: a new request with renewalOf, the same host, usages, issuer and renewal terms, assigned once it validates',
    description:
      'With `csr` for any rotationPolicy (Always: it must carry a new key); without one only for rotationPolicy Never (the stored CSR is re-used). ' +
      'Asked again while a renewal is open, answers 200 with that renewal; after a FAILED renewal, starts a new one. ' +
      'A requester or agent token may renew only requests of its hosts, and only with a CSR whose names are all its own.',
  })
  @ApiBody({ type: RenewRequestDto, required: false })
  @ApiResponse({ status: 201, description: 'RequestView of the new renewal (renewalOf set)' })
  @ApiResponse({ status: 200, description: 'RequestView of the renewal already open' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'CSR_REQUIRED (rotationPolicy Always without csr), KEY_NOT_ROTATED (Always, the old key), a CSR refused as on submission' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'REQUEST_NOT_FOUND' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'NOT_RENEWABLE: the request is not ASSIGNED (details.state)' })
  async renewRequest(@Param('id') id: string, @Body() body: unknown, @Req() req: Request & { caller?: Caller }, @Res({ passthrough: true }) res: Response): Promise<RequestView> {
    const outcome = await this.renew.execute(id, body, req.caller);
    if (!outcome.created) {
      res.status(200);
      return this.queries.get(outcome.openId);
    }
    res.status(201);
    res.setHeader('Location', `/api/v1/requests/${outcome.request.id}`);
    return this.queries.viewSubmitted(outcome.request);
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
