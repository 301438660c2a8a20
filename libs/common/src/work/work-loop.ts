import { drain, Pending } from './drain';

/** What a finished item asks the loop for: `true` any due item, a scope (e.g. its channel) that scope's, `false` nothing. */
export type LookAgain = boolean | string;

export interface WorkLoopOptions<T> {
  /** Names the work in logs: "claiming <what> failed". */
  what: string;
  /** Names one item in logs (e.g. a shutdown waiting for it); `what` when not given. */
  describe?(item: T): string;
  log: { error(details: object, message: string): void; warn(details: object, message: string): void };
  /** Most items running at once on this replica. */
  concurrency: number;
  /** Claims (leases to this replica) up to `limit` due items, of `scope` only when one is given. */
  claim(limit: number, scope?: string): Promise<T[]>;
  /**
   * Works one claimed item to its end, including what becomes of its lease (done, failed with a backoff, given back).
   * `signal` is aborted when the loop stops or the item's lease is lost; a long run checks it between steps.
   */
  run(item: T, signal: AbortSignal): Promise<void>;
  /** Gives a lease back without judging the item: after `run` threw, or for an item claimed while the loop stopped. */
  release(item: T): Promise<void>;
  /**
   * Asked when an item ended: whether to claim again at once. `rungMeanwhile` says whether a ring arrived while it ran
   * (a ring for an item this replica holds finds nothing to claim, so it is the finished item that must look again).
   * Without it the freed slot only serves rings still waiting for capacity.
   */
  lookAgain?(item: T, rungMeanwhile: boolean): LookAgain;
  /**
   * For queues whose claim returns only items with work to do (sync pairs with changes): a claim that filled every free
   * slot may have left due items behind, so its ring stays pending and is served as slots free, instead of at the
   * next poll. Not for queues whose items are always claimable again (they would be claimed for ever).
   */
  claimAgainWhenFull?: boolean;
  /** Keeps each item's lease while it runs: `renew` every `everyMs`; false (lost) aborts the item's signal. */
  lease?: { everyMs: number; renew(item: T): Promise<boolean> };
}

/**
 * The claim-and-run loop of every leased queue (sync pairs, file transfers, user-sync remotes). A ring (a doorbell
 * event, a poll tick, a finished item) asks for a claim of due items, of one scope or of any; one claim pass runs at
 * a time, and rings that arrive during it are served by the same pass before it ends. Each pass claims only as many
 * items as there are free slots, so at most `concurrency` items run; a ring that finds every slot taken waits until
 * an item ends and frees one. An item that throws is logged and its lease given back; the loop goes on. `stop` claims
 * nothing more, aborts the running items' signals and waits until they ended.
 *
 * Overlap across replicas is the queue's business (leases taken with FOR UPDATE SKIP LOCKED); the loop only keeps one
 * replica within its concurrency and makes sure that no ring is lost.
 */
export class WorkLoop<T> {
  private readonly active: Pending<string> = new Map();
  private readonly stopped = new AbortController();
  /** Scopes rung and not yet claimed; `anyRung` covers every scope. */
  private readonly scopesRung = new Set<string>();
  private anyRung = false;
  private rings = 0;
  private pumping = false;
  private pass: Promise<void> = Promise.resolve();

  constructor(private readonly options: WorkLoopOptions<T>) {}

  /** Asks for a claim of due items: of one scope, or of any scope when none is given. */
  ring(scope?: string): void {
    if (this.stopping) return;
    this.rings++;
    this.want(scope);
  }

  get stopping(): boolean {
    return this.stopped.signal.aborted;
  }

  /** Items running now. */
  get running(): number {
    return this.active.size;
  }

  /** Claims nothing more; resolves once the claim in progress and every running item have ended. */
  async stop(): Promise<void> {
    this.stopped.abort();
    await this.pass;
    await drain(this.active, (items, waitedMs) =>
      this.options.log.warn({ items, waitedMs }, `shutdown is waiting for ${this.options.what} still running`),
    );
  }

  /**
   * Not counted as a ring: a finished item looking again must not make the other running items look again too, or two
   * items whose queue is always claimable would wake each other forever.
   */
  private want(scope: string | undefined): void {
    if (scope === undefined) this.anyRung = true;
    else this.scopesRung.add(scope);
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    // Set and cleared synchronously around the pass, so that no ring falls between its last check and its end.
    this.pumping = true;
    this.pass = this.claimPass();
  }

  private async claimPass(): Promise<void> {
    try {
      while (!this.stopping && (this.anyRung || this.scopesRung.size > 0)) {
        const free = this.options.concurrency - this.active.size;
        if (free <= 0) return; // An ending item pumps again.
        let scope: string | undefined;
        if (this.anyRung) {
          this.anyRung = false;
          this.scopesRung.clear();
        } else {
          scope = this.scopesRung.values().next().value as string;
          this.scopesRung.delete(scope);
        }
        const claimed = await this.options.claim(free, scope);
        for (const item of claimed) this.start(item);
        if (this.options.claimAgainWhenFull && claimed.length === free) {
          if (scope === undefined) this.anyRung = true;
          else this.scopesRung.add(scope);
        }
      }
    } catch (err) {
      this.options.log.error({ err }, `claiming ${this.options.what} failed; the next poll retries`);
    } finally {
      this.pumping = false;
    }
  }

  private start(item: T): void {
    const ringsBefore = this.rings;
    const run: Promise<void> = this.runOne(item).then(() => {
      this.active.delete(run);
      if (this.stopping) return;
      const again = this.options.lookAgain?.(item, this.rings > ringsBefore) ?? false;
      if (again === false) this.pump();
      else this.want(again === true ? undefined : again);
    });
    this.active.set(run, this.options.describe?.(item) ?? this.options.what);
  }

  /** Never rejects: one item's failure must not stop the loop. */
  private async runOne(item: T): Promise<void> {
    if (this.stopping) {
      // Claimed while the loop was stopping: hand it back at once rather than start work nobody waits for.
      await this.options.release(item).catch(() => undefined);
      return;
    }
    const abort = new AbortController();
    const abortItem = () => abort.abort();
    this.stopped.signal.addEventListener('abort', abortItem);
    const renewal = this.options.lease && keepLease(item, this.options.lease, abort);
    try {
      await this.options.run(item, abort.signal);
    } catch (err) {
      this.options.log.error({ err }, `${this.options.what}: an item failed unexpectedly; its lease is given back`);
      await this.options.release(item).catch(() => undefined);
    } finally {
      renewal?.stop();
      this.stopped.signal.removeEventListener('abort', abortItem);
    }
  }
}

/**
 * Renews an item's lease every `everyMs` while it runs, one renewal at a time; a lost lease aborts the item. A failed
 * renewal (database unreachable) is retried at the next turn: the lease outlasts two of them.
 */
function keepLease<T>(item: T, lease: NonNullable<WorkLoopOptions<T>['lease']>, abort: AbortController): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = () => {
    timer = setTimeout(() => {
      lease.renew(item).then(
        (kept) => (kept ? !stopped && next() : abort.abort()),
        () => !stopped && next(),
      );
    }, lease.everyMs);
  };
  next();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
