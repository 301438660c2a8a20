import type { ThrottlerStorage } from '@nestjs/throttler';

/** What throttler's storage answers (its type is not exported from the package index). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The rate limiter's memory: a GCRA bucket per key, the algorithm of Mattermost's limiter (`throttled`). Read through
 * throttler's storage interface with these meanings: `ttl` is the emission interval (ms per request at the sustained
 * rate), `limit` the requests allowed at once (Mattermost's MaxBurst + 1); `blockDuration` is not used, a refused
 * client may retry as soon as one request's worth has been earned back. Times in the record are whole seconds,
 * rounded up, as the Retry-After and X-Ratelimit-Reset headers want them.
 *
 * At most `maxKeys` keys are kept (Mattermost's MemoryStoreSize); the least recently seen is forgotten first, which
 * only gives that client a full bucket again.
 */
export class GcraRateLimitStorage implements ThrottlerStorage {
  /** Theoretical arrival time per key (ms): when the bucket is full again. Map order is recency order. */
  private readonly tat = new Map<string, number>();

  constructor(
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    return this.take(key, ttl, limit);
  }

  /** Takes one request from the key's bucket, or refuses it (then nothing is taken). */
  take(key: string, intervalMs: number, limit: number): ThrottlerStorageRecord {
    const now = this.now();
    const burstMs = intervalMs * limit;
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const newTat = tat + intervalMs;
    const allowedAt = newTat - burstMs;
    if (now < allowedAt) {
      const waitMs = allowedAt - now;
      return { totalHits: limit + 1, timeToExpire: seconds(tat - now), isBlocked: true, timeToBlockExpire: seconds(waitMs) };
    }
    this.tat.delete(key);
    this.tat.set(key, newTat);
    if (this.tat.size > this.maxKeys) this.tat.delete(this.tat.keys().next().value as string);
    const remaining = Math.floor((now - allowedAt) / intervalMs);
    return { totalHits: limit - remaining, timeToExpire: seconds(newTat - now), isBlocked: false, timeToBlockExpire: 0 };
  }

  get size(): number {
    return this.tat.size;
  }
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
