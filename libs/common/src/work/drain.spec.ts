import { drain, Pending } from './drain';

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('drain', () => {
  it('resolves at once when nothing is pending, without a report', async () => {
    const report = jest.fn();
    await drain(new Map(), report, 5);
    expect(report).not.toHaveBeenCalled();
  });

  it('reports what is still running while the wait lasts, then resolves when the last one settles', async () => {
    const slow = deferred();
    const failing = Promise.reject(new Error('handler failed'));
    const pending: Pending<string> = new Map<Promise<unknown>, string>([
      [slow.promise, 'sync.msg'],
      [failing, 'user-sync.tick'],
    ]);
    const cleanup = (p: Promise<unknown>) =>
      void p.then(
        () => pending.delete(p),
        () => pending.delete(p),
      );
    for (const p of pending.keys()) cleanup(p);

    const reports: Array<{ labels: string[]; waitedMs: number }> = [];
    const done = drain(pending, (labels, waitedMs) => reports.push({ labels, waitedMs }), 20);
    await new Promise((r) => setTimeout(r, 70));
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports[0].labels).toEqual(['sync.msg']);
    expect(reports[1].waitedMs).toBeGreaterThanOrEqual(reports[0].waitedMs);

    slow.resolve();
    await done;
    expect(pending.size).toBe(0);
  });

  it('waits for work added while it waits', async () => {
    const first = deferred();
    const second = deferred();
    const pending: Pending<string> = new Map([[first.promise, 'first']]);
    let finished = false;
    const done = drain(pending, () => undefined, 1_000).then(() => (finished = true));

    pending.set(second.promise, 'second');
    pending.delete(first.promise);
    first.resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(finished).toBe(false);

    pending.delete(second.promise);
    second.resolve();
    await done;
    expect(finished).toBe(true);
  });
});
