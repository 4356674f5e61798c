import { ApiProperty } from '@nestjs/swagger';

/** The OpenAPI shape of every error answer, `{"error":{code,message,details?}}` (see ApiError). */
export class ErrorDto {
  @ApiProperty({ example: { code: 'CSR_SIGNATURE_INVALID', message: 'the CSR signature does not verify…' } })
  error: { code: string; message: string; details?: unknown };
}
