import { Controller, Get, Param, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { CertificateDetails } from '@certflow/contracts';
import { ErrorDto } from '../../http/error.dto';
import { Allow } from '../../access/auth/allow.decorator';
import { hostScopeOf, type Caller } from '../../access/auth/token.guard';
import { CertificateCatalogService } from './certificate-catalog.service';

@ApiTags('certificates')
@ApiBearerAuth()
@Controller('api/v1/certificates')
export class CertificatesController {
  constructor(private readonly catalog: CertificateCatalogService) {}

  @Get(':thumbprint')
  @Allow('read', { host: 'filtered' })
  @ApiOperation({
    summary: 'View Certificate Details (SHA-1 or SHA-256 thumbprint, any case)',
    description: 'A requester reads the certificates of its hosts\' requests and CA certificates; an agent only those of its hosts\' requests.',
  })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'CERTIFICATE_NOT_FOUND: not seen, or not the token\'s to read' })
  async get(@Param('thumbprint') thumbprint: string, @Req() req: Request & { caller?: Caller }): Promise<CertificateDetails> {
    // CA certificates are no host's secret; an agent is kept to its own leaves all the same (least reach).
    return this.catalog.lookup(thumbprint, { scope: hostScopeOf(req.caller), caCertificates: req.caller?.role !== 'agent' });
  }
}
