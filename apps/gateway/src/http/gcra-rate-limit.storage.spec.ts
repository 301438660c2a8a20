import { GcraRateLimitStorage } from './gcra-rate-limit.storage';

describe('GcraRateLimitStorage', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('allows `limit` requests at once, then one per interval, as Mattermost (throttled GCRA) does', () => {
    const store = new GcraRateLimitStorage(100, clock);
    // 10 per second, MaxBurst 4: limit 5.
    const answers = Array.from({ length: 6 }, () => store.take('k', 100, 5));
    expect(answers.map((a) => a.isBlocked)).toEqual([false, false, false, false, false, true]);
    expect(answers.map((a) => a.totalHits).slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(answers[5].timeToBlockExpire).toBe(1); // 100 ms, rounded up to whole seconds
    now += 99;
    expect(store.take('k', 100, 5).isBlocked).toBe(true);
    now += 1;
    expect(store.take('k', 100, 5).isBlocked).toBe(false);
    expect(store.take('k', 100, 5).isBlocked).toBe(true);
  });

  it('refills to a full burst after limit × interval, and not beyond', () => {
    const store = new GcraRateLimitStorage(100, clock);
    for (let i = 0; i < 5; i++) store.take('k', 1000, 5);
    now += 60_000;
    const results = Array.from({ length: 6 }, () => store.take('k', 1000, 5).isBlocked);
    expect(results).toEqual([false, false, false, false, false, true]);
  });

  it('says when to retry and when the bucket is full again, in whole seconds', () => {
    const store = new GcraRateLimitStorage(100, clock);
    const first = store.take('k', 2500, 2);
    expect(first).toEqual({ totalHits: 1, timeToExpire: 3, isBlocked: false, timeToBlockExpire: 0 });
    store.take('k', 2500, 2);
    const refused = store.take('k', 2500, 2);
    expect(refused.isBlocked).toBe(true);
    expect(refused.timeToBlockExpire).toBe(3); // 2.5 s
  });

  it('keeps keys apart and forgets the least recently seen beyond its size', () => {
    const store = new GcraRateLimitStorage(2, clock);
    expect(store.take('a', 1000, 1).isBlocked).toBe(false);
    expect(store.take('a', 1000, 1).isBlocked).toBe(true);
    expect(store.take('b', 1000, 1).isBlocked).toBe(false);
    expect(store.take('c', 1000, 1).isBlocked).toBe(false);
    expect(store.size).toBe(2);
    // 'a' was forgotten (a full bucket again); 'c' was not.
    expect(store.take('a', 1000, 1).isBlocked).toBe(false);
    expect(store.take('c', 1000, 1).isBlocked).toBe(true);
  });

  it('does not charge refused requests', () => {
    const store = new GcraRateLimitStorage(100, clock);
    store.take('k', 1000, 1);
    for (let i = 0; i < 50; i++) expect(store.take('k', 1000, 1).isBlocked).toBe(true);
    now += 1000;
    expect(store.take('k', 1000, 1).isBlocked).toBe(false);
  });
});
