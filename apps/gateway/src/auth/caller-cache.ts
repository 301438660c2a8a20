import type { AuthContext } from './auth.service';

/** An entry older than this is read again even without a change event: a bound for edits made behind the suite's back. */
export const CALLER_CACHE_MAX_AGE_MS = 30_000;
/** Entries kept at most (oldest dropped first); one per active session or token. */
export const CALLER_CACHE_MAX_ENTRIES = 20_000;

interface Entry {
  auth: AuthContext;
  /** The session's expiry (0: never, as a personal access token), checked on every use. */
  expiresAt: number;
  cachedAt: number;
}

/**
 * The callers this process authenticated, by token hash, so that a request of a known session costs no statement.
 * Correct only with invalidation: every change to a user's sessions, tokens or user row calls `forgetUser` here
 * after it is committed, and other processes hear of it through `chat.auth.changed`.
 *
 * A lookup that began before a change and ends after it must not store what it read: `generation` counts the
 * changes, and `put` stores only when none happened since its lookup began.
 */
export class CallerCache {
  private readonly entries = new Map<string, Entry>();
  private readonly hashesByUser = new Map<string, Set<string>>();
  private generation = 0;

  constructor(
    private readonly maxAgeMs = CALLER_CACHE_MAX_AGE_MS,
    private readonly maxEntries = CALLER_CACHE_MAX_ENTRIES,
  ) {}

  /** The cached caller of a token hash, or undefined when unknown, too old or its session has expired. */
  get(tokenHash: string, now: number): AuthContext | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (now - entry.cachedAt >= this.maxAgeMs || (entry.expiresAt !== 0 && entry.expiresAt < now)) {
      this.drop(tokenHash, entry.auth.user.id);
      return undefined;
    }
    return entry.auth;
  }

  /** Taken before the lookup whose result will be `put`. */
  begin(): number {
    return this.generation;
  }

  put(tokenHash: string, auth: AuthContext, expiresAt: number, begunAt: number, now: number): void {
    if (begunAt !== this.generation) return;
    if (!this.entries.has(tokenHash) && this.entries.size >= this.maxEntries) {
      const [oldestHash, oldest] = this.entries.entries().next().value as [string, Entry];
      this.drop(oldestHash, oldest.auth.user.id);
    }
    this.entries.set(tokenHash, { auth, expiresAt, cachedAt: now });
    let hashes = this.hashesByUser.get(auth.user.id);
    if (!hashes) this.hashesByUser.set(auth.user.id, (hashes = new Set()));
    hashes.add(tokenHash);
  }

  /** Drops every cached caller of a user (and keeps lookups in flight from storing what they read before). */
  forgetUser(userId: string): void {
    this.generation++;
    for (const hash of this.hashesByUser.get(userId) ?? []) this.entries.delete(hash);
    this.hashesByUser.delete(userId);
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(tokenHash: string, userId: string): void {
    this.entries.delete(tokenHash);
    const hashes = this.hashesByUser.get(userId);
    hashes?.delete(tokenHash);
    if (hashes?.size === 0) this.hashesByUser.delete(userId);
  }
}
