import { SerialPasses } from './serial-passes';

/** A pass that waits until the test lets it finish, counting how many started. */
function controlledPass() {
  const releases: Array<() => void> = [];
  let started = 0;
  const pass = () =>
    new Promise<void>((resolve) => {
      started++;
      releases.push(resolve);
    });
  const finishOne = async () => {
    releases.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { pass, finishOne, started: () => started };
}

describe('SerialPasses', () => {
  it('runs one pass at a time and merges rings during a pass into one more pass', async () => {
    const c = controlledPass();
    const passes = new SerialPasses(c.pass, () => undefined);
    passes.ring();
    passes.ring();
    passes.ring();
    expect(c.started()).toBe(1);
    await c.finishOne();
    expect(c.started()).toBe(2);
    await c.finishOne();
    expect(c.started()).toBe(2);
    passes.ring();
    expect(c.started()).toBe(3);
    await c.finishOne();
  });

  it('reports a failed pass and runs again on the next ring', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const passes = new SerialPasses(
      async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      (err) => errors.push(err),
    );
    passes.ring();
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual([new Error('boom')]);
    passes.ring();
    await passes.stop();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('starts nothing after stop, and stop waits for the running pass', async () => {
    const c = controlledPass();
    const passes = new SerialPasses(c.pass, () => undefined);
    passes.ring();
    passes.ring();
    let stopped = false;
    const stopping = passes.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    await c.finishOne();
    await stopping;
    expect(stopped).toBe(true);
    passes.ring();
    expect(c.started()).toBe(1);
  });
});
