import { Client, client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { Socket } from 'node:net';
import { noDelay } from './servers';

/** A groupchat message as a room occupant receives it. */
export interface RoomMessage {
  room: string;
  fromNick: string;
  body: string;
  /** Carries XEP-0203 delay: history replayed on join, not a live message. */
  delayed: boolean;
}

const MUC_NS = 'http://jabber.org/protocol/muc';

/**
 * An anonymous XMPP client connected to one server's c2s port, with what the bench needs: join a room, send to it,
 * and hear its messages. No reconnects: a lost connection fails the run instead of hiding a pause.
 */
export class BenchXmppClient {
  private readonly joins = new Map<string, () => void>();
  private listeners: Array<(message: RoomMessage) => void> = [];

  private constructor(
    readonly xmpp: Client,
    readonly nick: string,
  ) {}

  static async connect(opts: { port: number; domain: string; nick: string }): Promise<BenchXmppClient> {
    const xmpp = client({ service: `xmpp://127.0.0.1:${opts.port}`, domain: opts.domain, resource: opts.nick });
    xmpp.reconnect.stop();
    const self = new BenchXmppClient(xmpp, opts.nick);
    xmpp.on('error', (err: Error) => {
      // Reported by the operation that fails next (send, join, timeouts); a closed bench client is not an error.
      if (process.env.BENCH_PROSODY_DEBUG) process.stderr.write(`[xmpp ${opts.nick}] ${err.message}\n`);
    });
    xmpp.on('stanza', (stanza: Element) => self.onStanza(stanza));
    await xmpp.start();
    if (noDelay()) (xmpp as unknown as { socket?: Socket }).socket?.setNoDelay(true);
    return self;
  }

  /** Joins `room` (bare JID) under this client's nick, without history; resolves when the room confirms. */
  async join(room: string, timeoutMs = 20_000): Promise<void> {
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.joins.delete(room);
        reject(new Error(`${this.nick} did not join ${room} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.joins.set(room, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.xmpp.send(xml('presence', { to: `${room}/${this.nick}` }, xml('x', { xmlns: MUC_NS }, xml('history', { maxstanzas: '0' }))));
    await joined;
  }

  send(room: string, body: string): Promise<void> {
    return this.xmpp.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, body)));
  }

  onMessage(listener: (message: RoomMessage) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.listeners = [];
    await this.xmpp.stop().catch(() => undefined);
  }

  private onStanza(stanza: Element): void {
    const from = String(stanza.attrs.from ?? '');
    const slash = from.indexOf('/');
    const room = slash < 0 ? from : from.slice(0, slash);
    const nick = slash < 0 ? '' : from.slice(slash + 1);
    if (stanza.is('presence')) {
      // The room's presence for our own nick (status 110) confirms the join.
      const x = stanza.getChild('x', `${MUC_NS}#user`);
      const isSelf = x?.getChildren('status').some((s) => s.attrs.code === '110');
      if (isSelf && stanza.attrs.type !== 'error') this.joins.get(room)?.();
      if (stanza.attrs.type === 'error' && process.env.BENCH_PROSODY_DEBUG)
        process.stderr.write(`[xmpp ${this.nick}] ${stanza.toString()}\n`);
      return;
    }
    if (!stanza.is('message') || stanza.attrs.type !== 'groupchat') return;
    const body = stanza.getChildText('body');
    if (body === null) return;
    const delayed = stanza.getChild('delay', 'urn:xmpp:delay') !== undefined;
    for (const listener of this.listeners) listener({ room, fromNick: nick, body, delayed });
  }
}
