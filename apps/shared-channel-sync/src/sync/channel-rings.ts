/**
 * The doorbells (`shared-channel.channel.changed`) of one channel heard on this replica while a pair of that channel
 * runs here. A doorbell rings after its change committed, so a ring counted after a batch's read began may announce a
 * change the batch did not see: the run then goes on with another batch instead of ending, releasing the pair and
 * claiming it again (two statements and a scheduling hop saved per follow-up, and no idle gap while the channel is
 * busy). Only a shortcut: a ring heard by another replica reaches nobody here, and the finished run's own look-again
 * claim still finds what it announced.
 */
export class ChannelRings {
  private count = 0;
  private readonly listeners = new Set<() => void>();

  ring(): void {
    this.count++;
    for (const listener of [...this.listeners]) listener();
  }

  /** The rings heard so far, to compare with later. */
  mark(): number {
    return this.count;
  }

  /** Whether a ring was heard after `mark` was taken. */
  since(mark: number): boolean {
    return this.count > mark;
  }

  /** Calls `listener` once, at the next ring; the returned function cancels it. */
  once(listener: () => void): () => void {
    const wrapped = () => {
      this.listeners.delete(wrapped);
      listener();
    };
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }
}
