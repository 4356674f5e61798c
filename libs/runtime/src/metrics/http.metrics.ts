import { histogram, LATENCY_BUCKETS } from './metric.factory';

/**
 * `certflow_http_request_seconds{method,route,status}`: time from the request's arrival to the
 * response's last byte. `route` is the route pattern (`/api/v1/requests/:id`), never the raw path,
 * so ids do not multiply series; requests no route matched (static files, 404s) are `route="other"`.
 */
export const httpRequestSeconds = histogram({
  name: 'certflow_http_request_seconds',
  help: 'HTTP requests served, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
});
