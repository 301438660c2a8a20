/** How retries back off: the first delay's ceiling and the largest ceiling (both in ms). */
export interface BackoffSettings {
  baseMs: number;
  capMs: number;
}

/** Doubling past this many times exceeds any cap a setting allows, and 2 ** 1100 would be Infinity. */
const MAX_DOUBLINGS = 52;

/**
 * The ceiling of the delay before retry number `attempt` (1 = the first retry): `baseMs · 2^(attempt−1)`, capped at
 * `capMs`. Any attempt count is safe (huge, fractional, NaN): the exponent is clamped before it can overflow.
 */
export function backoffCeilingMs(attempt: number, { baseMs, capMs }: BackoffSettings): number {
  const cap = Math.max(0, capMs);
  const base = Math.min(Math.max(0, baseMs), cap);
  const doublings = Number.isNaN(attempt) ? 0 : Math.min(Math.max(Math.floor(attempt) - 1, 0), MAX_DOUBLINGS);
  return Math.min(cap, base * 2 ** doublings);
}

/**
 * Exponential backoff with full jitter: a whole number of ms drawn uniformly from [0, ceiling]. Without jitter every
 * replica that failed against the same peer at the same moment retries at the same moment again, forever in step;
 * spreading each retry over the whole interval breaks the herd up. `random` (default Math.random) is injectable for
 * tests; values outside [0, 1) are clamped.
 */
export function backoffDelayMs(attempt: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const ceiling = backoffCeilingMs(attempt, settings);
  const r = random();
  const fraction = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.min(ceiling, Math.floor(fraction * (ceiling + 1)));
}
