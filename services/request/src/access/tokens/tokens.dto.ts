import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES } from '../auth/permissions';

/** Body of POST /api/v1/tokens. Checked by TokensService (codes in its doc). */
export class CreateTokenDto {
  @ApiProperty({ example: 'web-team-ci', description: 'Unique among live tokens; recorded as the actor in the audit log. Letters, digits, ".", "_", "-"; at most 64.' })
  name: string;

  @ApiProperty({ enum: ROLES })
  role: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['*.web.example.com', 'db01.corp.example.com'],
    description: 'requester and agent only, and required for them: exact host names or "*.<domain>" (one leftmost label).',
  })
  hosts?: string[];
}

export class TokenDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ROLES }) role: string;
  @ApiProperty({ type: [String] }) hosts: string[];
  @ApiProperty() createdAt: string;
  @ApiProperty() createdBy: string;
  @ApiProperty({ nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedBy: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'to the minute' }) lastUsedAt: string | null;
}

export class CreatedTokenDto extends TokenDto {
  @ApiProperty({ example: 'cft_…', description: 'The secret, shown this once: certflow keeps only its SHA-256.' })
  secret: string;
}
