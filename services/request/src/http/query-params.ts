import { ApiError } from './api-error';

/**
 * Refuses a query string that repeats a parameter (`?host=a&host=b` reaches the handler as an array)
 * or nests one (`?host[x]=a`): every filter the API takes is a single string.
 */
export function requireSingleValues(query: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && typeof value !== 'string') {
      throw new ApiError(400, 'INVALID_QUERY', `query parameter "${name}" must be given once, as a single value`);
    }
  }
}
