/**
 * The byte-level link under the suite's Nest transport (BusServer + BusClientProxy): NATS core in distributed mode,
 * an in-process twin when embedded. Both carry the same subjects, queue groups, payload limit and request errors, so
 * the Nest layer above them behaves the same in both modes.
 */
export interface MessageLink {
  readonly kind: 'nats' | 'in-process';
  /** Largest message the link carries, in bytes. */
  maxPayload(): number;
  publish(subject: string, data: Uint8Array): void;
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  subscribe(subject: string, queue: string | undefined, handler: (msg: LinkMessage) => void): LinkSubscription;
  isConnected(): boolean;
  /** Stops delivery and releases the connection (NATS: drains it). */
  close(): Promise<void>;
}

export interface LinkMessage {
  subject: string;
  data: Uint8Array;
  /** Present for requests: sends the reply. */
  respond?: (data: Uint8Array) => void;
}

export interface LinkSubscription {
  unsubscribe(): void;
}

export class BusError extends Error {
  constructor(
    readonly code: 'no_responders' | 'timeout' | 'payload_too_large' | 'invalid_payload' | 'handler_error' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'BusError';
  }
}
