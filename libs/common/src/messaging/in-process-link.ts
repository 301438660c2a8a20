import { BusError, LinkMessage, LinkSubscription, MessageLink } from './message-link';

interface LocalSubscriber {
  queue?: string;
  handler: (msg: LinkMessage) => void;
}

/**
 * The embedded mode's stand-in for NATS core: same subjects, queue-group semantics (one member of a group
 * gets each message, round robin), request/reply with "no responders" and timeouts, and the same payload
 * size limit. Messages travel as bytes and are delivered asynchronously, so nothing is shared by reference.
 * Subjects are matched exactly (no wildcards).
 */
export class InProcessLink implements MessageLink {
  readonly kind = 'in-process' as const;
  private readonly subscriptions = new Map<string, LocalSubscriber[]>();
  private readonly roundRobin = new Map<string, number>();
  private closed = false;

  constructor(private readonly maxPayloadBytes: number) {}

  maxPayload(): number {
    return this.maxPayloadBytes;
  }

  publish(subject: string, data: Uint8Array): void {
    this.deliver(subject, data, undefined);
  }

  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new BusError('timeout', `request on ${subject} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const respond = (reply: Uint8Array) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          this.checkSize(reply);
          resolve(Uint8Array.from(reply));
        } catch (err) {
          reject(err);
        }
      };
      try {
        const delivered = this.deliver(subject, data, respond);
        if (delivered === 0) {
          settled = true;
          clearTimeout(timer);
          reject(new BusError('no_responders', `no responders for ${subject}`));
        }
      } catch (err) {
        settled = true;
        clearTimeout(timer);
        reject(err);
      }
    });
  }

  subscribe(subject: string, queue: string | undefined, handler: (msg: LinkMessage) => void): LinkSubscription {
    const sub: LocalSubscriber = { queue, handler };
    const list = this.subscriptions.get(subject) ?? [];
    list.push(sub);
    this.subscriptions.set(subject, list);
    return {
      unsubscribe: () => {
        const current = this.subscriptions.get(subject) ?? [];
        this.subscriptions.set(
          subject,
          current.filter((s) => s !== sub),
        );
      },
    };
  }

  isConnected(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscriptions.clear();
  }

  /** Returns how many subscribers received the message. */
  private deliver(subject: string, data: Uint8Array, respond?: (d: Uint8Array) => void): number {
    if (this.closed) throw new BusError('closed', 'bus is closed');
    this.checkSize(data);
    const targets: LocalSubscriber[] = [];
    const groups = new Map<string, LocalSubscriber[]>();
    for (const sub of this.subscriptions.get(subject) ?? []) {
      if (!sub.queue) targets.push(sub);
      else groups.set(sub.queue, [...(groups.get(sub.queue) ?? []), sub]);
    }
    for (const [queue, members] of groups) {
      const key = `${subject}\u0000${queue}`;
      const next = this.roundRobin.get(key) ?? 0;
      targets.push(members[next % members.length]);
      this.roundRobin.set(key, next + 1);
    }
    for (const target of targets) {
      const copy = Uint8Array.from(data);
      setImmediate(() => target.handler({ subject, data: copy, respond }));
    }
    return targets.length;
  }

  private checkSize(data: Uint8Array): void {
    if (data.byteLength > this.maxPayloadBytes) {
      throw new BusError('payload_too_large', `message of ${data.byteLength} bytes exceeds the ${this.maxPayloadBytes}-byte limit`);
    }
  }
}
