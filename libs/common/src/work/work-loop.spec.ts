import { WorkLoop, WorkLoopOptions } from './work-loop';

/** Lets pending promise callbacks run (several hops: claim → start → run → then). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/**
 * A queue of numbered items held in memory: `claim` takes due items (optionally of one scope, the item's parity),
 * `run` waits until the test finishes the item, `release` puts it back. Records what the loop did.
 */
class FakeQueue {
  due: number[] = [];
  readonly claims: { limit: number; scope?: string }[] = [];
  readonly released: number[] = [];
  readonly done: number[] = [];
  readonly signals = new Map<number, AbortSignal>();
  running = 0;
  maxRunning = 0;
  failing = new Set<number>();
  private readonly finishers = new Map<number, () => void>();
  /** When set, claims wait for it: a claim in progress. */
  claimGate?: Promise<void>;

  options(overrides: Partial<WorkLoopOptions<number>> = {}): WorkLoopOptions<number> {
    return {
      what: 'test items',
      log: { error: () => undefined, warn: () => undefined },
      concurrency: 3,
      claim: async (limit, scope) => {
        this.claims.push({ limit, scope });
        if (this.claimGate) await this.claimGate;
        const matching = this.due.filter((n) => scope === undefined || String(n % 2) === scope).slice(0, limit);
        this.due = this.due.filter((n) => !matching.includes(n));
        return matching;
      },
      run: async (item, signal) => {
        this.running++;
        this.maxRunning = Math.max(this.maxRunning, this.running);
        this.signals.set(item, signal);
        try {
          if (this.failing.has(item)) throw new Error(`item ${item} broke`);
          await new Promise<void>((resolve) => this.finishers.set(item, resolve));
          this.done.push(item);
        } finally {
          this.running--;
        }
      },
      release: async (item) => {
        this.released.push(item);
        this.due.push(item);
      },
      ...overrides,
    };
  }

  async finish(...items: number[]): Promise<void> {
    for (const item of items) {
      const finisher = this.finishers.get(item);
      if (!finisher) throw new Error(`item ${item} is not running`);
      this.finishers.delete(item);
      finisher();
    }
    await settle();
  }

  runningItems(): number[] {
    return [...this.finishers.keys()].sort((a, b) => a - b);
  }
}

describe('WorkLoop', () => {
  it('never runs more than its concurrency, and fills a freed slot while work remains', async () => {
    const q = new FakeQueue();
    q.due = [1, 2, 3, 4, 5, 6, 7, 8];
    const loop = new WorkLoop(q.options({ lookAgain: () => true }));
    loop.ring();
    loop.ring();
    await settle();
    expect(q.runningItems()).toEqual([1, 2, 3]);
    expect(q.claims[0]).toEqual({ limit: 3, scope: undefined });
    // A poll while every slot is taken claims nothing more.
    loop.ring();
    await settle();
    expect(q.runningItems()).toEqual([1, 2, 3]);
    await q.finish(2);
    expect(q.runningItems()).toEqual([1, 3, 4]);
    await q.finish(1, 3, 4);
    expect(q.runningItems()).toEqual([5, 6, 7]);
    await q.finish(5, 6, 7);
    await q.finish(8);
    expect(q.done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(q.maxRunning).toBe(3);
    expect(q.claims.every((c) => c.limit >= 1 && c.limit <= 3)).toBe(true);
    await loop.stop();
  });

  it('with claimAgainWhenFull, serves what a full claim left behind as slots free, without another ring', async () => {
    const q = new FakeQueue();
    q.due = [1, 2, 3, 4, 5];
    const loop = new WorkLoop(q.options({ claimAgainWhenFull: true, lookAgain: () => false }));
    loop.ring();
    await settle();
    expect(q.runningItems()).toEqual([1, 2, 3]);
    await q.finish(1);
    expect(q.runningItems()).toEqual([2, 3, 4]);
    await q.finish(2, 3);
    expect(q.runningItems()).toEqual([4, 5]);
    await q.finish(4, 5);
    // The last claim found fewer than its free slots: nothing is left pending, the loop is quiet.
    const claims = q.claims.length;
    await settle();
    expect(q.claims).toHaveLength(claims);
    expect(q.done).toEqual([1, 2, 3, 4, 5]);
    await loop.stop();
  });

  it('serves a ring that arrives during a claim with one more claim, and merges several into it', async () => {
    const q = new FakeQueue();
    let openGate!: () => void;
    q.claimGate = new Promise((r) => (openGate = r));
    const loop = new WorkLoop(q.options());
    loop.ring();
    await settle();
    expect(q.claims).toHaveLength(1);
    // The claim is in progress; the items arrive and the doorbell rings (three times) meanwhile.
    q.due = [1, 2];
    loop.ring();
    loop.ring();
    loop.ring();
    await settle();
    expect(q.claims).toHaveLength(1);
    openGate();
    await settle();
    expect(q.claims).toHaveLength(2);
    expect(q.runningItems()).toEqual([1, 2]);
    await q.finish(1, 2);
    expect(q.claims).toHaveLength(2);
    await loop.stop();
  });

  it('claims a rung scope only, and a ring for any scope covers scopes rung before it', async () => {
    const q = new FakeQueue();
    q.due = [1, 2, 3, 4];
    const loop = new WorkLoop(q.options({ concurrency: 10 }));
    loop.ring('0');
    await settle();
    expect(q.runningItems()).toEqual([2, 4]);
    expect(q.claims).toEqual([{ limit: 10, scope: '0' }]);
    let openGate!: () => void;
    q.claimGate = new Promise((r) => (openGate = r));
    q.due.push(6);
    loop.ring();
    loop.ring('1');
    await settle();
    openGate();
    await settle();
    // The ring for '1' came after the claim of any scope had started: it gets its own claim.
    expect(q.claims.slice(1)).toEqual([
      { limit: 8, scope: undefined },
      { limit: 5, scope: '1' },
    ]);
    expect(q.runningItems()).toEqual([1, 2, 3, 4, 6]);
    await q.finish(1, 2, 3, 4, 6);
    await loop.stop();
  });

  it('asks a finished item whether to look again, and says whether a ring arrived while it ran', async () => {
    const q = new FakeQueue();
    q.due = [1, 2];
    const asked: Array<[number, boolean]> = [];
    const loop = new WorkLoop(
      q.options({
        lookAgain: (item, rungMeanwhile) => {
          asked.push([item, rungMeanwhile]);
          return rungMeanwhile ? String(item % 2) : false;
        },
      }),
    );
    loop.ring();
    await settle();
    await q.finish(1);
    expect(asked).toEqual([[1, false]]);
    loop.ring('0'); // Item 2 is held here: the claim finds nothing; item 2 must look again when it ends.
    await settle();
    expect(q.claims).toHaveLength(2);
    q.due = [4];
    await q.finish(2);
    expect(asked).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(q.claims[2]).toEqual({ limit: 3, scope: '0' });
    expect(q.runningItems()).toEqual([4]);
    await q.finish(4);
    await loop.stop();
  });

  it('runs each item once more after a ring during its run, and then goes quiet (look-agains do not count as rings)', async () => {
    const q = new FakeQueue();
    // Like user-sync remotes: always claimable again once released.
    const alwaysDue = [1, 2];
    q.due = [...alwaysDue];
    const options = q.options({ lookAgain: (_item, rungMeanwhile) => rungMeanwhile });
    const run = options.run;
    const loop = new WorkLoop({
      ...options,
      run: async (item, signal) => {
        try {
          await run(item, signal);
        } finally {
          q.due.push(item);
        }
      },
    });
    loop.ring();
    await settle();
    expect(q.runningItems()).toEqual([1, 2]);
    loop.ring(); // Both are held: this claim finds nothing, so each must look again when it ends.
    await settle();
    await q.finish(1);
    expect(q.runningItems()).toEqual([1, 2]);
    await q.finish(2);
    expect(q.runningItems()).toEqual([1, 2]);
    await q.finish(1);
    await q.finish(2);
    expect(q.runningItems()).toEqual([]);
    expect(q.done).toEqual([1, 2, 1, 2]);
    await loop.stop();
  });

  it('gives the lease of an item that throws back and goes on with the next ones', async () => {
    const q = new FakeQueue();
    const errors: string[] = [];
    q.due = [1, 2];
    q.failing.add(1);
    const loop = new WorkLoop(
      q.options({
        concurrency: 1,
        lookAgain: () => true,
        log: { error: (_details, message) => errors.push(message), warn: () => undefined },
      }),
    );
    loop.ring();
    await settle();
    expect(q.released).toEqual([1]);
    expect(errors).toEqual(['test items: an item failed unexpectedly; its lease is given back']);
    // The failed item was released (due again), and the freed slot claimed: the loop still works.
    q.failing.clear();
    expect(q.runningItems()).toEqual([2]);
    await q.finish(2);
    expect(q.runningItems()).toEqual([1]);
    await q.finish(1);
    expect(q.done).toEqual([2, 1]);
    await loop.stop();
  });

  it('logs a failed claim and claims again at the next ring', async () => {
    const q = new FakeQueue();
    const errors: string[] = [];
    let failClaim = true;
    const options = q.options({ log: { error: (_details, message) => errors.push(message), warn: () => undefined } });
    const claim = options.claim;
    const loop = new WorkLoop({
      ...options,
      claim: async (limit, scope) => {
        if (failClaim) throw new Error('database gone');
        return claim(limit, scope);
      },
    });
    q.due = [1];
    loop.ring();
    await settle();
    expect(errors).toEqual(['claiming test items failed; the next poll retries']);
    failClaim = false;
    loop.ring();
    await settle();
    expect(q.runningItems()).toEqual([1]);
    await q.finish(1);
    await loop.stop();
  });

  it('on stop aborts running items, waits until they ended and claims nothing more', async () => {
    const q = new FakeQueue();
    q.due = [1, 2, 3, 4];
    const loop = new WorkLoop(q.options({ concurrency: 2, lookAgain: () => true }));
    loop.ring();
    await settle();
    expect(q.runningItems()).toEqual([1, 2]);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await settle();
    expect(q.signals.get(1)!.aborted).toBe(true);
    expect(q.signals.get(2)!.aborted).toBe(true);
    expect(stopped).toBe(false);
    await q.finish(1);
    expect(stopped).toBe(false);
    await q.finish(2);
    await stopping;
    expect(stopped).toBe(true);
    loop.ring();
    await settle();
    expect(q.claims).toHaveLength(1);
    expect(q.runningItems()).toEqual([]);
  });

  it('hands back what a claim in progress at stop returns, without running it, before stop resolves', async () => {
    const q = new FakeQueue();
    q.due = [1, 2];
    let openGate!: () => void;
    q.claimGate = new Promise((r) => (openGate = r));
    const loop = new WorkLoop(q.options());
    loop.ring();
    await settle();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    openGate();
    await stopping;
    expect(q.released.sort()).toEqual([1, 2]);
    expect(q.done).toEqual([]);
    expect(q.maxRunning).toBe(0);
  });

  it('renews the lease of a running item, and aborts the item when the lease is lost', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const q = new FakeQueue();
      q.due = [1];
      const renewed: number[] = [];
      let keep = true;
      const loop = new WorkLoop(
        q.options({
          lease: {
            everyMs: 1000,
            renew: async (item) => {
              renewed.push(item);
              return keep;
            },
          },
        }),
      );
      loop.ring();
      await settle();
      // One renewal at a time: the next is due a period after the previous one answered.
      for (let i = 0; i < 2; i++) {
        jest.advanceTimersByTime(1000);
        await settle();
      }
      jest.advanceTimersByTime(500);
      await settle();
      expect(renewed).toEqual([1, 1]);
      expect(q.signals.get(1)!.aborted).toBe(false);
      keep = false;
      jest.advanceTimersByTime(1000);
      await settle();
      expect(q.signals.get(1)!.aborted).toBe(true);
      await q.finish(1);
      // Renewal ends with the item.
      jest.advanceTimersByTime(5000);
      await settle();
      expect(renewed).toHaveLength(3);
      await loop.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});
