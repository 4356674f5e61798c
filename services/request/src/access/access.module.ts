import { Module } from '@nestjs/common';
import { PgRequestHostLookup, REQUEST_HOST_LOOKUP } from './auth/request-host.lookup';
import { TOKEN_AUTHENTICATOR } from './auth/token-authenticator';
import { TokenStore } from './tokens/token.store';
import { TokensService } from './tokens/tokens.service';
import { TokensController } from './tokens/tokens.controller';
import { AuditStore } from './audit/audit.store';
import { AuditController } from './audit/audit.controller';
import { AuditCertificateAssigned, AuditTrustUpdated } from './audit/audit-facts.consumer';

/**
 * Who may call what: API tokens (tokens/), the audit log of what they did (audit/), and what the
 * global TokenGuard needs to authenticate and authorize (auth/). Other modules use auth/'s
 * decorators (`@Allow`, `@Public`, `Caller`) by import and inject only what is exported here.
 */
@Module({
  controllers: [TokensController, AuditController, AuditTrustUpdated, AuditCertificateAssigned],
  providers: [
    TokenStore,
    // The guard (auth/) sees the store through a port: tokens/ imports auth/, never the reverse.
    { provide: TOKEN_AUTHENTICATOR, useExisting: TokenStore },
    TokensService,
    AuditStore,
    { provide: REQUEST_HOST_LOOKUP, useClass: PgRequestHostLookup },
  ],
  exports: [TOKEN_AUTHENTICATOR, REQUEST_HOST_LOOKUP, TokenStore, AuditStore],
})
export class AccessModule {}
