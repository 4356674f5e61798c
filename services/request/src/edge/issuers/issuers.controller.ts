import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { publicView, type IssuerConfig, type IssuerPublicView } from '@certflow/runtime';
import { Allow } from '../../access/auth/allow.decorator';

/** Injection token of the configured issuers (CERTFLOW_ISSUERS / CERTFLOW_ISSUERS_FILE), secrets included. */
export const ISSUER_CONFIGS = 'ISSUER_CONFIGS';

/** The issuers a request may name, as configured; never their secrets (EAB key, account key). */
@ApiTags('issuers')
@ApiBearerAuth()
@Controller('api/v1/issuers')
export class IssuersController {
  constructor(@Inject(ISSUER_CONFIGS) private readonly issuers: IssuerConfig[]) {}

  @Get()
  @Allow('catalog:read')
  @ApiOperation({ summary: 'The configured issuers: name, type and (ACME) directory, contact, challenge; no secrets' })
  list(): { items: IssuerPublicView[] } {
    return { items: this.issuers.map(publicView) };
  }
}
