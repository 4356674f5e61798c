import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { CertificateDetails } from '@certflow/contracts';
import { ErrorDto } from '../certificate-request/http/request.dto';
import { Allow } from '../auth/allow.decorator';
import { CertificateCatalogService } from './certificate-catalog.service';

@ApiTags('certificates')
@ApiBearerAuth()
@Controller('api/v1/certificates')
export class CertificatesController {
  constructor(private readonly catalog: CertificateCatalogService) {}

  @Get(':thumbprint')
  @Allow('read')
  @ApiOperation({ summary: 'View Certificate Details (SHA-1 or SHA-256 thumbprint, any case)' })
  @ApiResponse({ status: 404, type: ErrorDto })
  async get(@Param('thumbprint') thumbprint: string): Promise<CertificateDetails> {
    return this.catalog.lookup(thumbprint);
  }
}
