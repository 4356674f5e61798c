import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { ApiError } from '../../http/api-error';
import { SubmitRequestDto } from './request.dto';

/** Most items one POST /api/v1/requests/batch takes; more is 400 TOO_MANY_ITEMS. */
export const MAX_BATCH_ITEMS = 1000;

/** One item: the body of POST /api/v1/requests, and its own idempotency key. */
export class SubmitBatchItemDto extends SubmitRequestDto {
  @ApiPropertyOptional({ example: 'pool01-2026-12', description: 'As the Idempotency-Key header of POST /api/v1/requests: the same key with the same item returns the first request (status 200); with another item, that item is refused (409 IDEMPOTENCY_KEY_REUSED).' })
  idempotencyKey?: string;
}

/**
 * Body of POST /api/v1/requests/batch. Only the list is checked here; each item is checked as the
 * single route checks its body, and answered in its own result slot (SubmitBatchHandler).
 */
export class SubmitBatchDto {
  @ApiProperty({ type: [SubmitBatchItemDto], minItems: 1, maxItems: MAX_BATCH_ITEMS, description: `1 to ${MAX_BATCH_ITEMS} submissions, as many as fit the body limit (CERTFLOW_MAX_BATCH_BODY_BYTES, default 8 MiB).` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_ITEMS)
  items!: unknown[];
}

/** One slot of the answer, in item order (contracts BatchResultView). */
export class BatchResultDto {
  @ApiProperty({ description: 'Position of the item in `items`, from 0.' })
  index!: number;

  @ApiProperty({ example: 201, description: 'What POST /api/v1/requests would answer the item alone: 201 stored, 200 the earlier request of its idempotency key, 4xx refused (nothing stored).' })
  status!: number;

  @ApiPropertyOptional({ description: 'RequestView, when the status is 200 or 201.' })
  request?: object;

  @ApiPropertyOptional({ description: '{code, message, details?}, when the item was refused; the codes of POST /api/v1/requests.' })
  error?: object;
}

export class BatchSubmitDto {
  @ApiProperty({ type: [BatchResultDto] })
  results!: BatchResultDto[];
}

/**
 * The items of a batch body, or the whole call refused with a stable code: not `{items: [...]}`
 * (INVALID_BODY), another field (UNKNOWN_FIELD), no items (INVALID_BODY), more than
 * {@link MAX_BATCH_ITEMS} (TOO_MANY_ITEMS).
 */
export function parseBatchBody(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'INVALID_BODY', 'send a JSON object: {"items": [{"host": "...", "csr": "-----BEGIN CERTIFICATE REQUEST-----...", "idempotencyKey": "..."}]}');
  }
  const [problem] = validateSync(plainToInstance(SubmitBatchDto, body), { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  const failed = Object.keys(problem?.constraints ?? {});
  if (!problem) return (body as SubmitBatchDto).items;
  if (failed.includes('whitelistValidation')) {
    throw new ApiError(400, 'UNKNOWN_FIELD', `unknown field ${problem.property}; the body is {"items": [...]}`);
  }
  if (failed.includes('isArray')) {
    throw new ApiError(400, 'INVALID_BODY', '`items` must be an array of submissions: {"items": [{"host": "...", "csr": "..."}]}');
  }
  if (failed.includes('arrayMaxSize')) {
    const n = (body as { items: unknown[] }).items.length;
    throw new ApiError(400, 'TOO_MANY_ITEMS', `\`items\` has ${n} entries; at most ${MAX_BATCH_ITEMS} are taken at once: split the batch`, { items: n, max: MAX_BATCH_ITEMS });
  }
  throw new ApiError(400, 'INVALID_BODY', `\`items\` is empty; send 1 to ${MAX_BATCH_ITEMS} submissions`);
}
