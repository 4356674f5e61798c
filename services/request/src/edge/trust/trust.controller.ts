import { Body, Controller, Delete, Get, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { NatsConnection } from '@certflow/messaging';
import { NATS_CONNECTION, callRpc } from '@certflow/messaging';
import { RPC, type CertificateDetails, type TrustImportResult, type TrustStoreName } from '@certflow/contracts';
import { ApiError } from '../../http/api-error';
import type { Caller } from '../../access/auth/token.guard';
import { Allow } from '../../access/auth/allow.decorator';
import { ErrorDto } from '../../http/error.dto';

const STORES: Record<string, TrustStoreName> = { roots: 'roots', intermediates: 'intermediates' };

/**
 * The trust stores belong to trust-validation; this controller is the public door to them, and
 * passes each call on over NATS with the caller as the actor of record.
 */
@ApiTags('trust')
@ApiBearerAuth()
@Controller('api/v1/trust')
export class TrustController {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  @Post(':store')
  @Allow('trust:write')
  @ApiOperation({ summary: 'Import roots or intermediates: PEM text (one or many) or {"pem": "..."}' })
  @ApiBody({ schema: { oneOf: [{ type: 'string' }, { type: 'object', properties: { pem: { type: 'string' } } }] } })
  @ApiResponse({ status: 201, description: '{imported: [thumbprint], alreadyPresent: [thumbprint]}' })
  @ApiResponse({
    status: 400,
    type: ErrorDto,
    description:
      'Nothing imported. `details.refused` names each certificate refused: CERTIFICATE_UNPARSABLE (damaged), NOT_A_CA, NOT_A_ROOT, NOT_AN_INTERMEDIATE, ' +
      'CA_CERTIFICATE_UNUSABLE (breaks a rule chain validation applies to every CA; `rule` says which), TOO_MANY_CERTIFICATES.',
  })
  async import(@Param('store') store: string, @Body() body: unknown, @Req() req: Request & { caller?: Caller }): Promise<TrustImportResult> {
    const pem = typeof body === 'string' ? body : typeof (body as { pem?: unknown })?.pem === 'string' ? (body as { pem: string }).pem : null;
    if (!pem || !pem.trim()) {
      throw new ApiError(400, 'CERTIFICATE_MISSING', 'send PEM text (Content-Type: text/plain or application/x-pem-file) or {"pem": "-----BEGIN CERTIFICATE-----..."}');
    }
    return callRpc(this.nc, RPC.trustImport, { store: storeOf(store), pem, actor: req.caller?.name ?? 'unknown' }, 15_000);
  }

  @Get(':store')
  @Allow('catalog:read')
  @ApiOperation({ summary: 'List a trust store' })
  async list(@Param('store') store: string): Promise<{ items: CertificateDetails[] }> {
    const items = await callRpc<CertificateDetails[]>(this.nc, RPC.trustList, { store: storeOf(store) });
    return { items };
  }

  @Delete(':store/:thumbprint')
  @Allow('trust:write')
  @ApiOperation({ summary: 'Remove a certificate from a trust store' })
  @ApiResponse({ status: 404, type: ErrorDto })
  async remove(@Param('store') store: string, @Param('thumbprint') thumbprint: string, @Req() req: Request & { caller?: Caller }) {
    return callRpc(this.nc, RPC.trustRemove, { store: storeOf(store), thumbprint, actor: req.caller?.name ?? 'unknown' });
  }
}

function storeOf(name: string): TrustStoreName {
  const store = STORES[name];
  if (!store) throw new ApiError(404, 'NOT_FOUND', 'trust stores are /api/v1/trust/roots and /api/v1/trust/intermediates');
  return store;
}
