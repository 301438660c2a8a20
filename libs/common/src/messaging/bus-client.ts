import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { rpcTimeoutFor } from '@fedchat/contracts';
import { BusError, MessageLink } from './message-link';
import { decode, encode, ReplyEnvelope } from './wire';

export const BUS_CLIENT = Symbol('BUS_CLIENT');

export interface BusClientOptions {
  link: MessageLink;
  requestTimeoutMs: number;
}

/**
 * The suite's Nest transport, client side: `send` is a request on the link (no_responders at once when nobody
 * subscribes, a timeout otherwise), `emit` a publish. Payloads go as their JSON bytes, replies come back as the
 * server's envelope; an error reply reaches the observer as its wire error. The link belongs to the process (the
 * BusServer closes it), so closing a client closes nothing.
 */
export class BusClientProxy extends ClientProxy {
  constructor(private readonly options: BusClientOptions) {
    super();
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}

  unwrap<T>(): T {
    return this.options.link as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let cancelled = false;
    void this.exchange(String(packet.pattern), packet.data).then((reply) => {
      if (!cancelled) callback(reply);
    });
    return () => {
      cancelled = true;
    };
  }

  /** One request and its answer as Nest's write packet; never rejects. */
  private async exchange(subject: string, data: unknown): Promise<WritePacket> {
    try {
      const timeoutMs = Math.max(this.options.requestTimeoutMs, rpcTimeoutFor(subject) ?? 0);
      const envelope = decode(await this.options.link.request(subject, encode(data), timeoutMs)) as ReplyEnvelope;
      if (!envelope || typeof envelope !== 'object' || typeof envelope.ok !== 'boolean') {
        return { err: new BusError('invalid_payload', `malformed reply on ${subject}`) };
      }
      return envelope.ok ? { response: envelope.data, isDisposed: true } : { err: envelope.error };
    } catch (err) {
      return { err };
    }
  }

  protected dispatchEvent<T = undefined>(packet: ReadPacket): Promise<T> {
    this.options.link.publish(String(packet.pattern), encode(packet.data));
    return Promise.resolve(undefined as T);
  }
}
