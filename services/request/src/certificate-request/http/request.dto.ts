import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEFAULT_USAGES, REQUEST_STATES, ROTATION_POLICIES, USAGES, type RotationPolicy, type Usage } from '@certflow/contracts';

/** Body of POST /api/v1/requests. Checked by SubmitRequestHandler (codes in its doc). */
export class SubmitRequestDto {
  @ApiProperty({ example: 'pool01.corp.example.com', description: 'FQDN of the server or pool; must be among the CSR names (CN or SAN).' })
  host: string;

  @ApiProperty({ description: 'PEM PKCS#10 certificate request made on the host. Its signature is checked (proof of possession).' })
  csr: string;

  @ApiPropertyOptional({ enum: USAGES, isArray: true, default: DEFAULT_USAGES })
  usages?: Usage[];

  @ApiPropertyOptional({ default: true, description: 'Assign to the usages as soon as the chain validates (the wizard\'s check box).' })
  autoAssign?: boolean;

  @ApiPropertyOptional({ default: 'internal', example: 'internal' })
  issuer?: string;

  @ApiPropertyOptional({ example: 'Pool 01 default certificate' })
  friendlyName?: string;

  @ApiPropertyOptional({ example: 'P30D', description: 'ISO 8601 duration (weeks, days, hours, minutes, seconds) before notAfter at which renewal is due. Default: CERTFLOW_RENEW_BEFORE, else one third of the lifetime.' })
  renewBefore?: string;

  @ApiPropertyOptional({ enum: ROTATION_POLICIES, default: 'Always', description: 'Always: the host makes a new key per renewal (its agent, or `certflow renew`). Never: certflow re-submits this CSR itself.' })
  rotationPolicy?: RotationPolicy;
}

/** Body of POST /api/v1/requests/{id}/renew. */
export class RenewRequestDto {
  @ApiPropertyOptional({ description: 'PEM CSR with a new key made on the host. Required unless the request\'s rotationPolicy is Never.' })
  csr?: string;
}

export class AssignRequestDto {
  @ApiPropertyOptional({ enum: USAGES, isArray: true, description: 'Defaults to the usages the request asked for.' })
  usages?: Usage[];
}

export class ListRequestsQuery {
  @ApiPropertyOptional({ enum: REQUEST_STATES }) state?: string;
  @ApiPropertyOptional() host?: string;
  @ApiPropertyOptional({ description: 'issuer name, e.g. internal or offline' }) issuer?: string;
  @ApiPropertyOptional({ default: 50, maximum: 500 }) limit?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) cursor?: string;
}

export class UploadCertificateDto {
  @ApiProperty({ description: 'PEM certificate the offline CA returned; it must carry the CSR public key.' })
  certificate: string;

  @ApiPropertyOptional({ description: 'PEM of the intermediates the CA returned with it (one or many), or an array of PEM.' })
  chain?: string | string[];
}

export class CountRequestsQuery {
  @ApiPropertyOptional() host?: string;
  @ApiPropertyOptional({ description: 'issuer name, e.g. internal or offline' }) issuer?: string;
}
