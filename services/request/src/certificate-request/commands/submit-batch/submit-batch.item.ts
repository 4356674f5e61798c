/**
 * A batch item is a POST /api/v1/requests body plus its own `idempotencyKey` (the single route's
 * header). Splits the two so that the body is checked, and hashed for idempotency, exactly as the
 * single route's: a key means the same request on either route. Not an object: left to the body
 * checks, which answer INVALID_BODY.
 */
export function splitBatchItem(item: unknown): { body: unknown; key: unknown } {
  if (typeof item !== 'object' || item === null || Array.isArray(item) || !('idempotencyKey' in item)) return { body: item, key: undefined };
  const { idempotencyKey, ...body } = item as Record<string, unknown>;
  return { body, key: idempotencyKey };
}
