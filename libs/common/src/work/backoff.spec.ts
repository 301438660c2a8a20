import { backoffCeilingMs, backoffDelayMs } from './backoff';

const settings = { baseMs: 500, capMs: 30_000 };

describe('backoffCeilingMs', () => {
  it('doubles from the base with each attempt until the cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffCeilingMs(attempt, settings));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('stays at the cap for huge, infinite or odd attempt counts and never overflows', () => {
    for (const attempt of [60, 1024, 1e9, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Infinity]) {
      expect(backoffCeilingMs(attempt, settings)).toBe(30_000);
    }
    for (const attempt of [0, -5, -Infinity, NaN, 0.5]) expect(backoffCeilingMs(attempt, settings)).toBe(500);
  });

  it('never exceeds the cap, even when the base is larger', () => {
    expect(backoffCeilingMs(1, { baseMs: 5000, capMs: 1000 })).toBe(1000);
    expect(backoffCeilingMs(3, { baseMs: 0, capMs: 1000 })).toBe(0);
  });
});

describe('backoffDelayMs', () => {
  it('lies in [0, ceiling] for the lowest and highest random values', () => {
    for (let attempt = 1; attempt <= 70; attempt++) {
      const ceiling = backoffCeilingMs(attempt, settings);
      expect(backoffDelayMs(attempt, settings, () => 0)).toBe(0);
      expect(backoffDelayMs(attempt, settings, () => 1 - Number.EPSILON)).toBe(ceiling);
    }
  });

  it('is a whole number within bounds for out-of-range random sources', () => {
    for (const r of [-1, 2, NaN, Infinity, -Infinity]) {
      const delay = backoffDelayMs(4, settings, () => r);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });

  it('spans the whole range with Math.random (full jitter, not a fixed delay)', () => {
    const delays = Array.from({ length: 4000 }, () => backoffDelayMs(10, settings));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
    // Ten equal buckets over [0, cap]: each gets some share, none is empty (chance of a false failure: ~1e-180).
    const buckets = new Array(10).fill(0);
    for (const d of delays) buckets[Math.min(9, Math.floor(d / 3000))]++;
    for (const count of buckets) expect(count).toBeGreaterThan(200);
    expect(new Set(delays).size).toBeGreaterThan(1000);
  });

  it('keeps to the cap for an attempt count that would overflow 2 ** n', () => {
    const delay = backoffDelayMs(1e6, settings, () => 0.999999);
    expect(delay).toBeLessThanOrEqual(30_000);
    expect(delay).toBeGreaterThan(29_000);
  });
});
