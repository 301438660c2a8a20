/**
 * Runs a pass over pending work one at a time, however often it is rung (doorbell events, a poll): a ring while a
 * pass runs asks for one more pass after it, and rings in between merge into that one. So whatever rang is always
 * seen by a pass that started after the ring, and passes never overlap on one replica. A failed pass is reported to
 * `onError`; the next ring tries again.
 */
export class SerialPasses {
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  ring(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.passes().finally(() => (this.running = undefined));
  }

  /** True once `stop` was called: a long pass checks it to end early. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** No passes after this; resolves once the running one has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async passes(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (err) {
        this.onError(err);
      }
    } while (this.again && !this.stopped);
  }
}
