/** What the Bus needs from a message transport: NATS core in distributed mode, an in-process bus when embedded. */
export interface BusTransport {
  readonly kind: 'nats' | 'in-process';
  /** Largest message the transport carries, in bytes. */
  maxPayload(): number;
  publish(subject: string, data: Uint8Array): void;
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  subscribe(subject: string, queue: string | undefined, handler: (msg: TransportMessage) => void): TransportSubscription;
  isConnected(): boolean;
  /** Stops delivery and releases the connection. */
  close(): Promise<void>;
}

export interface TransportMessage {
  subject: string;
  data: Uint8Array;
  /** Present for requests: sends the reply. */
  respond?: (data: Uint8Array) => void;
}

export interface TransportSubscription {
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
