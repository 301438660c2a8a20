import { ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  ThrottlerModuleOptions,
  ThrottlerOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { APP_CONFIG, AppConfig, AppError, RateLimitKeyKind, rateLimitMetrics, RateLimitRouteClass } from '@fedchat/common';
import type { Request, Response } from 'express';
import { AuthService } from '../auth/auth.service';
import { PeerAuthGuard } from '../remote-clusters/peer-auth.guard';
import { GcraRateLimitStorage } from './gcra-rate-limit.storage';

const ROUTE_CLASS = 'fedchat:rate-limit-class';

/** Puts a route (or a controller's routes) in a stricter rate limit class than the general API limit. */
export const RateLimitClass = (routeClass: Exclude<RateLimitRouteClass, 'api'>) => SetMetadata(ROUTE_CLASS, routeClass);

/** A GCRA limit as throttler options: `ttl` is the ms per request at the sustained rate, `limit` the burst + 1. */
function gcraLimit(name: RateLimitRouteClass, perSecond: number, maxBurst: number): ThrottlerOptions {
  return { name, ttl: 1000 / perSecond, limit: maxBurst + 1 };
}

/** ThrottlerModule's options from the settings: one limiter per route class, in GCRA memory. */
export function rateLimitOptions(config: AppConfig): ThrottlerModuleOptions {
  const r = config.rateLimit;
  return {
    throttlers: [
      gcraLimit('api', r.perSecond, r.maxBurst),
      gcraLimit('login', r.login.perSecond, r.login.maxBurst),
      gcraLimit('peer', r.peer.perSecond, r.peer.maxBurst),
    ],
    storage: new GcraRateLimitStorage(r.memoryStoreSize),
  };
}

/** The tightest limit a request passed, reported in Mattermost's X-Ratelimit-* headers. */
interface Tightest {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Mattermost's rate limiting (RateLimitSettings) on /api/v4, before authentication so that floods of bad tokens and
 * passwords are limited too. Each request is counted by the limiters of its class:
 * - every route but the peer endpoints: the general limit, keyed by the authenticated user when VaryByUser is on
 *   (users behind one address do not share a budget) and otherwise by client address (VaryByRemoteAddr);
 * - password checks (login, sign-up, password change): also the login limit, by client address;
 * - peer endpoints: the peer limit by connection once the peer authenticates, else the login limit by address.
 * VaryByHeader adds a header's value to every key; with nothing to vary by, everyone shares one budget (as in
 * Mattermost). A refusal answers 429 in Mattermost's error JSON with Retry-After; passes carry X-Ratelimit-*.
 * The memory is per gateway process: N gateway replicas allow N times the rates.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly metrics = rateLimitMetrics();
  private readonly passed = new WeakMap<Request, Tightest>();

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly peers: PeerAuthGuard,
  ) {
    super(options, storage, reflector);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (!this.config.rateLimit.enable || context.getType() !== 'http') return true;
    // Health, readiness and metrics are not the API: probes and scrapers must never be refused.
    return !context.switchToHttp().getRequest<Request>().path.startsWith('/api/v4/');
  }

  protected override async handleRequest({ context, limit, ttl, throttler }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context) as { req: Request; res: Response };
    const routeClass = this.reflector.getAllAndOverride<RateLimitRouteClass | undefined>(ROUTE_CLASS, [
      context.getHandler(),
      context.getClass(),
    ]);
    const counted = await this.countedBy(req, routeClass ?? 'api', throttler.name as RateLimitRouteClass);
    if (!counted) return true;
    const key = `${throttler.name}|${counted.key}`;
    const record = await this.storageService.increment(key, ttl, limit, 0, throttler.name!);
    if (record.isBlocked) {
      this.metrics.refused.inc({ route_class: throttler.name!, key_kind: counted.kind });
      res.setHeader('Retry-After', String(Math.max(1, record.timeToBlockExpire)));
      this.setRateHeaders(res, { limit, remaining: 0, resetSeconds: record.timeToExpire });
      throw new AppError(
        'api.context.rate_limit_exceeded.app_error',
        `Too many requests; try again in ${Math.max(1, record.timeToBlockExpire)} s.`,
        429,
      );
    }
    const passed: Tightest = { limit, remaining: Math.max(0, limit - record.totalHits), resetSeconds: record.timeToExpire };
    const before = this.passed.get(req);
    if (!before || passed.remaining < before.remaining) {
      this.passed.set(req, passed);
      this.setRateHeaders(res, passed);
    }
    return true;
  }

  /** Whether the named limiter counts this request, and by which key; undefined: it does not apply. */
  private async countedBy(
    req: Request,
    routeClass: RateLimitRouteClass,
    limiter: RateLimitRouteClass,
  ): Promise<{ key: string; kind: RateLimitKeyKind } | undefined> {
    if (routeClass === 'peer') {
      if (limiter === 'api') return undefined;
      const remote = await this.peers.remoteOf(req);
      if (limiter === 'peer') return remote ? this.withHeader(req, `remote:${remote.remote_id}`, 'remote') : undefined;
      return remote ? undefined : this.anonymousKey(req);
    }
    if (limiter === 'peer') return undefined;
    if (limiter === 'login') return routeClass === 'login' ? this.anonymousKey(req) : undefined;
    if (this.config.rateLimit.varyByUser) {
      const caller = await this.auth.authenticateRequest(req);
      if (caller) return this.withHeader(req, `user:${caller.user.id}`, 'user');
    }
    return this.anonymousKey(req);
  }

  /** A key for a caller not (yet) known: the client address when VaryByRemoteAddr, else the header or everyone. */
  private anonymousKey(req: Request): { key: string; kind: RateLimitKeyKind } {
    if (this.config.rateLimit.varyByRemoteAddr) {
      // An IPv6 client commonly holds a whole /64: count it as one address.
      return this.withHeader(req, `ip:${normalizeIp(req.ip ?? '', this.ipv6SubnetPrefix)}`, 'ip');
    }
    if (this.config.rateLimit.varyByHeader !== '') return this.withHeader(req, '', 'header');
    return { key: 'global', kind: 'global' };
  }

  private withHeader(req: Request, key: string, kind: RateLimitKeyKind): { key: string; kind: RateLimitKeyKind } {
    const header = this.config.rateLimit.varyByHeader;
    return header === '' ? { key, kind } : { key: `${key}|${(req.header(header) ?? '').toLowerCase()}`, kind };
  }

  /** Mattermost's names (Go writes them X-Ratelimit-*): limit per burst, requests left, seconds until the bucket is full. */
  private setRateHeaders(res: Response, t: Tightest): void {
    res.setHeader('X-Ratelimit-Limit', String(t.limit));
    res.setHeader('X-Ratelimit-Remaining', String(t.remaining));
    res.setHeader('X-Ratelimit-Reset', String(t.resetSeconds));
  }
}
