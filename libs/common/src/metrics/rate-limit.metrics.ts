import { counter, METRICS_PREFIX } from './metrics';

/** Which limit refused a request: the general API limit, password checks, or peer clusters. */
export type RateLimitRouteClass = 'api' | 'login' | 'peer';

/** What the limit counted by: client address, user, peer connection, the VaryByHeader value alone, or everyone. */
export type RateLimitKeyKind = 'ip' | 'user' | 'remote' | 'header' | 'global';

/** Requests refused with 429 by the gateway's rate limits (created once per process, shared by every gateway). */
export function rateLimitMetrics() {
  return {
    refused: counter({
      name: `${METRICS_PREFIX}http_requests_rate_limited_total`,
      help: 'Requests refused with 429 by a rate limit, by route class and by what the limit keys on',
      labelNames: ['route_class', 'key_kind'] as const,
    }),
  };
}
