/** A promise being waited for at shutdown, and what it is (a bus subject, a queue item) for the report. */
export type Pending<L> = Map<Promise<unknown>, L>;

/**
 * Waits until every promise of `pending` has settled, including those added while it waits. While the wait lasts
 * longer than `reportEveryMs`, `report` is told what is still running, every `reportEveryMs`: a shutdown that hangs
 * then names what it hangs on instead of going silent.
 */
export async function drain<L>(
  pending: Pending<L>,
  report: (stillRunning: L[], waitedMs: number) => void,
  reportEveryMs = 10_000,
): Promise<void> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    while (pending.size > 0) {
      const tick = new Promise<'tick'>((resolve) => (timer = setTimeout(() => resolve('tick'), reportEveryMs)));
      const outcome = await Promise.race([Promise.allSettled([...pending.keys()]), tick]);
      clearTimeout(timer);
      if (outcome === 'tick' && pending.size > 0) report([...pending.values()], Date.now() - started);
    }
  } finally {
    clearTimeout(timer);
  }
}
