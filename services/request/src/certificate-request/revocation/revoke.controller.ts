import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { REVOCATION_REASONS, type RevokeCertificateView } from '@certflow/contracts';
import { Allow } from '../../access/auth/allow.decorator';
import type { Caller } from '../../access/auth/token.guard';
import { ErrorDto } from '../../http/error.dto';
import { RevokeCertificateHandler } from './revoke-certificate.handler';

export class RevokeCertificateDto {
  @ApiProperty({ enum: REVOCATION_REASONS, description: 'RFC 5280 reason name (certificateHold is refused: certflow does not un-revoke)' }) reason: string;
  @ApiPropertyOptional({ description: 'start a renewal first and revoke once it took the bindings over (keyCompromise: revoked at once all the same)' }) renew?: boolean;
  @ApiPropertyOptional({ description: 'the renewal CSR, needed with renew for rotationPolicy Always' }) csr?: string;
}

@ApiTags('certificates')
@ApiBearerAuth()
@Controller('api/v1/certificates')
export class RevokeController {
  constructor(private readonly revoke: RevokeCertificateHandler) {}

  @Post(':thumbprint/revoke')
  @Allow('certificate:revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke a certificate at its CA and release its bindings (SHA-1 or SHA-256 thumbprint, any case); audited',
    description: 'Asked twice: 200 with the first revocation. Offline issuers: recorded in certflow, the message says to revoke it at the CA by hand.',
  })
  @ApiBody({ type: RevokeCertificateDto })
  @ApiResponse({ status: 200, description: '{requestId, thumbprint, reason, requestedAt, revokedAt?, state: requested|revoked|after-renewal, atCa: crl-ocsp|acme|manual, message, renewalRequestId?}' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'INVALID_REASON, HOLD_NOT_SUPPORTED, INVALID_THUMBPRINT, CSR_REQUIRED, INVALID_BODY, UNKNOWN_FIELD' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'CERTIFICATE_NOT_FOUND' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'NOT_REVOCABLE (the request FAILED), NOT_RENEWABLE (renew of a request that is not ASSIGNED)' })
  async post(@Param('thumbprint') thumbprint: string, @Body() body: unknown, @Req() req: Request & { caller?: Caller }): Promise<RevokeCertificateView> {
    return this.revoke.execute(thumbprint, body, req.caller);
  }
}
