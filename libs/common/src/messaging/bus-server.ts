import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { eventContractFor, queueGroupFor } from '@fedchat/contracts';
import { lastValueFrom } from 'rxjs';
import { drain, Pending } from '../work/drain';
import { busHandlersInFlight, busMessages } from './bus-metrics';
import { LinkMessage, LinkSubscription, MessageLink } from './message-link';
import { passUnvalidated } from './message-pipeline';
import { decode, encodeReply, errorMessage, ReplyEnvelope, toWireError, WireError } from './wire';

export const MESSAGE_LINK = Symbol('MESSAGE_LINK');

/** What a handler can read with `@Ctx()`: the subject, and whether a reply is awaited. */
export class BusContext extends BaseRpcContext<[subject: string, isRequest: boolean]> {
  getSubject(): string {
    return this.args[0];
  }

  isRequest(): boolean {
    return this.args[1];
  }
}

/**
 * Extras of an `@EventPattern` for an event with `one` delivery: the consuming app (or area) it belongs to. Each
 * consumer gets every event once, shared among its replicas; two consumers in one process stay two queue groups.
 */
export interface EventConsumer {
  consumer: string;
}

/**
 * The suite's Nest transport, server side, over a MessageLink (NATS or in-process). Nest's own NATS server does not
 * fit: it puts every pattern of a process in one queue group, chains a second `@EventPattern` on a subject into the
 * first one's subscription, and only sleeps a grace period on close. Here each handler is its own subscription:
 * requests in the group `q.<subject>.rpc` (one replica of the app answers), `one` events in `q.<subject>.<consumer>`,
 * `all` events without a group (every process). Shutdown stops taking messages, waits for the handlers in flight,
 * and only then (at application shutdown) closes the link.
 */
@Injectable()
export class BusServer extends Server implements CustomTransportStrategy, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly log = new Logger('Bus');
  private readonly subscriptions: LinkSubscription[] = [];
  /** Handlers running now, by subject. */
  private readonly running: Pending<string> = new Map();

  constructor(@Inject(MESSAGE_LINK) private readonly link: MessageLink) {
    super();
  }

  listen(callback: (err?: unknown) => void): void {
    try {
      for (const [subject, head] of this.messageHandlers) {
        // Nest chains a second @EventPattern on a subject behind the first and calls it from there; here each handler
        // has its own subscription (its consumer's queue group), so the chain is taken apart.
        const handlers: MessageHandler[] = [];
        for (let handler: MessageHandler | undefined = head; handler; handler = handler.next) handlers.push(handler);
        for (const handler of handlers) {
          handler.next = undefined;
          this.subscribe(subject, handler);
        }
      }
    } catch (err) {
      void this.stopTaking();
      return callback(err);
    }
    callback();
  }

  /** Called by Nest when the app closes; the lifecycle hook below has usually stopped everything already. */
  async close(): Promise<void> {
    await this.stopTaking();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stopTaking();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.link.close();
  }

  on(): never {
    throw new Error('BusServer has no events to listen to');
  }

  unwrap<T>(): T {
    return this.link as T;
  }

  private subscribe(subject: string, handler: MessageHandler): void {
    const sub = this.link.subscribe(subject, queueFor(subject, handler), (msg) => {
      busHandlersInFlight.inc();
      const job: Promise<void> = this.deliver(handler, msg).finally(() => {
        busHandlersInFlight.dec();
        this.running.delete(job);
      });
      this.running.set(job, subject);
    });
    this.subscriptions.push(sub);
  }

  /**
   * Runs the handler through Nest (pipe, filter), answers a request with its reply envelope, and counts and logs the
   * outcome per subject. The counting is here rather than in a Nest interceptor: an interceptor makes Nest bind two
   * AsyncResources and build an rxjs chain for every message, which measured as more than the rest of a hop together.
   */
  private async deliver(handler: MessageHandler, msg: LinkMessage): Promise<void> {
    const isRequest = !!msg.respond;
    let envelope: ReplyEnvelope;
    try {
      const payload = decode(msg.data);
      // An event on the in-process link was emitted by this process's own code: validating it again is pure cost
      // (in the chat core's profile, more CPU than the rest of a `posted` event's hop). Requests, replies and
      // everything over NATS are validated.
      if (!isRequest && this.link.kind === 'in-process') passUnvalidated(payload);
      const result$ = this.transformToObservable(await handler(payload, new BusContext([msg.subject, isRequest])));
      envelope = { ok: true, data: await lastValueFrom(result$, { defaultValue: undefined }) };
      busMessages.inc({ subject: msg.subject, role: 'received', outcome: 'ok' });
    } catch (err) {
      // What the handler or the pipe threw arrives as the filter's wire error; a message that is not JSON fails
      // before Nest sees it, as a BusError.
      const error = toWireError(err);
      this.recordFailure(msg.subject, isRequest, error);
      envelope = { ok: false, error };
    }
    if (!msg.respond) return;
    try {
      msg.respond(encodeReply(envelope, this.link.maxPayload()));
    } catch (err) {
      this.log.error({ subject: msg.subject, err: errorMessage(err) }, 'reply could not be sent');
    }
  }

  /** A refusal the requester must see as such (an AppError: 404, 403, ...) is not a fault of the handler. */
  private recordFailure(subject: string, isRequest: boolean, error: WireError): void {
    busMessages.inc({ subject, role: 'received', outcome: error.code });
    if (error.code === 'invalid_payload') this.log.warn({ subject, err: error.message }, 'message refused');
    else if (!isRequest) this.log.error({ subject, err: error.message }, 'event handler failed');
    else if (error.code !== 'app_error') this.log.error({ subject, err: error.message }, 'request handler failed');
  }

  /** Unsubscribes (once) and waits until every handler already running has finished. */
  private async stopTaking(): Promise<void> {
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    await drain(this.running, (subjects, waitedMs) =>
      this.log.warn({ handlers: subjects, waitedMs }, 'shutdown is waiting for message handlers still running'),
    );
  }
}

/** The queue group of a handler, from its kind and the event's contract; a misdeclared handler stops start-up. */
function queueFor(subject: string, handler: MessageHandler): string | undefined {
  if (!handler.isEventHandler) return queueGroupFor(subject);
  const contract = eventContractFor(subject);
  if (!contract) throw new Error(`@EventPattern('${subject}'): no event contract in @fedchat/contracts defines this subject`);
  const consumer = (handler.extras as Partial<EventConsumer> | undefined)?.consumer;
  if (contract.delivery === 'all') {
    if (consumer) throw new Error(`@EventPattern('${subject}'): an event for every process takes no consumer`);
    return undefined;
  }
  if (!consumer) throw new Error(`@EventPattern('${subject}') needs { consumer }: each event goes to one replica of each consumer`);
  return queueGroupFor(subject, consumer);
}
