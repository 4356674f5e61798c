/**
 * The one UUID pattern: request, token and event ids are UUIDs (any version, either case). Ids that
 * come from URLs or messages are checked with it before they reach PostgreSQL, which would refuse
 * the `uuid` cast of anything else.
 */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a string in UUID form. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}
