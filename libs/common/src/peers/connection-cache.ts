/** An entry older than this is read again even without a change event: a bound for edits made behind the suite's back. */
export const CONNECTION_CACHE_MAX_AGE_MS = 30_000;
/** Entries kept at most (oldest dropped first); one per live connection, so far more than any server has. */
export const CONNECTION_CACHE_MAX_ENTRIES = 10_000;

interface Entry<T> {
  row: T;
  cachedAt: number;
}

/**
 * Connection rows (`remote_clusters`) this process read, by remote id, so that a message to a peer or a peer's
 * request costs no statement to look its connection up. Correct only with invalidation: every change to a connection
 * row emits `remote-cluster.connection.changed` after it is committed, delivered to every process, which calls
 * `forget` here.
 *
 * A lookup that began before a change and ends after it must not store what it read: `generation` counts the
 * changes, and `put` stores only when none happened since its lookup began.
 */
export class ConnectionCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private generation = 0;

  constructor(
    private readonly maxAgeMs = CONNECTION_CACHE_MAX_AGE_MS,
    private readonly maxEntries = CONNECTION_CACHE_MAX_ENTRIES,
  ) {}

  /** The cached row of a remote, or undefined when unknown or too old. */
  get(remoteId: string, now = Date.now()): T | undefined {
    const entry = this.entries.get(remoteId);
    if (!entry) return undefined;
    if (now - entry.cachedAt >= this.maxAgeMs) {
      this.entries.delete(remoteId);
      return undefined;
    }
    return entry.row;
  }

  /** Taken before the lookup whose result will be `put`. */
  begin(): number {
    return this.generation;
  }

  put(remoteId: string, row: T, begunAt: number, now = Date.now()): void {
    if (begunAt !== this.generation) return;
    this.entries.delete(remoteId);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(remoteId, { row, cachedAt: now });
  }

  /** Drops a remote's row (and keeps lookups in flight from storing what they read before the change). */
  forget(remoteId: string): void {
    this.generation++;
    this.entries.delete(remoteId);
  }

  get size(): number {
    return this.entries.size;
  }
}
