export type PayloadClass<T> = new () => T;

/**
 * A request/reply subject, answered by a `@MessagePattern(contract.subject)` handler. Exactly one replica of the
 * owning app answers each request (queue group `q.<subject>.rpc`), so replicas share the work.
 */
export interface RpcContract<Req extends object, Res extends object> {
  readonly kind: 'rpc';
  readonly subject: string;
  readonly request: PayloadClass<Req>;
  readonly reply: PayloadClass<Res>;
  /**
   * How long a requester waits for the answer, when the handler itself waits on something slower than the bus's
   * BUS_REQUEST_TIMEOUT_MS (a peer's HTTP deadline); the longer of the two applies.
   */
  readonly timeoutMs?: number;
}

/**
 * A fire-and-forget subject, consumed by `@EventPattern(contract.subject, extras)` handlers. `one`: each consumer
 * (named in the extras, `{ consumer }`) gets it once, handled by one of its replicas; `all`: every subscribed process
 * gets it (e.g. websocket fan-out to every gateway replica), and the extras name no consumer.
 */
export interface EventContract<E extends object> {
  readonly kind: 'event';
  readonly subject: string;
  readonly payload: PayloadClass<E>;
  readonly delivery: 'one' | 'all';
}

export function defineRpc<Req extends object, Res extends object>(
  subject: string,
  request: PayloadClass<Req>,
  reply: PayloadClass<Res>,
  options: { timeoutMs?: number } = {},
): RpcContract<Req, Res> {
  if (options.timeoutMs !== undefined) rpcTimeouts.set(subject, options.timeoutMs);
  return { kind: 'rpc', subject, request, reply, timeoutMs: options.timeoutMs };
}

/** The own answer timeouts of request subjects that have one; the transport's client reads it by subject. */
const rpcTimeouts = new Map<string, number>();

/** How long a request on `subject` may wait by its contract, if the contract says so. */
export function rpcTimeoutFor(subject: string): number | undefined {
  return rpcTimeouts.get(subject);
}

/** Every event contract by subject: the transport reads an event's delivery (`one`/`all`) from it. */
const eventContracts = new Map<string, EventContract<object>>();

export function defineEvent<E extends object>(subject: string, payload: PayloadClass<E>, delivery: 'one' | 'all'): EventContract<E> {
  const contract: EventContract<E> = { kind: 'event', subject, payload, delivery };
  eventContracts.set(subject, contract);
  return contract;
}

/** The event contract of a subject (defined when its module was loaded), if there is one. */
export function eventContractFor(subject: string): EventContract<object> | undefined {
  return eventContracts.get(subject);
}

/** Queue group for a subject and consumer: replicas subscribing with the same group share its messages. */
export function queueGroupFor(subject: string, consumer = 'rpc'): string {
  return `q.${subject}.${consumer}`;
}
