import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ChannelEvent,
  postedEvent,
  PostReads,
  ThreadReads,
  toAcknowledgementJson,
  toPostJson,
  toReactionJson,
  WebSocketEvents,
  WsEvent,
} from '@fedchat/chat';
import { Channel, User } from '@fedchat/models';
import { DataSource, In } from 'typeorm';
import { Announcements } from './apply-context';

/** The websocket events of an applied message, sent to the channel's members once its transaction has committed. */
@Injectable()
export class SyncAnnouncer {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: WebSocketEvents,
    private readonly reads: PostReads,
    private readonly threads: ThreadReads,
  ) {}

  async announce(channel: Channel, news: Announcements): Promise<void> {
    const events: ChannelEvent[] = [];
    const senders = new Map(news.senders);
    const unnamed = [...new Set(news.posted.map((p) => p.user_id))].filter((id) => !senders.has(id));
    if (unnamed.length) {
      const users = await this.dataSource.getRepository(User).findBy({ id: In(unnamed) });
      for (const u of users) senders.set(u.id, u.username);
    }
    for (const [i, json] of (await this.postedJson(news)).entries()) {
      events.push(postedEvent(channel, senders.get(news.posted[i].user_id) ?? '', json, { setOnline: false }));
    }
    for (const json of await this.reads.toJsonMany(news.edited))
      events.push({ event: WsEvent.PostEdited, data: { post: JSON.stringify(json) } });
    for (const json of await this.reads.toJsonMany(news.deleted))
      events.push({ event: WsEvent.PostDeleted, data: { post: JSON.stringify(json) } });
    for (const { reaction, added } of news.reactions) {
      const event = added ? WsEvent.ReactionAdded : WsEvent.ReactionRemoved;
      events.push({ event, data: { reaction: JSON.stringify(toReactionJson(reaction)) } });
    }
    for (const { ack, added } of news.acks) {
      const event = added ? WsEvent.PostAcknowledgementAdded : WsEvent.PostAcknowledgementRemoved;
      events.push({ event, data: { acknowledgement: JSON.stringify(toAcknowledgementJson(ack)) } });
    }
    await this.events.toChannelMany(channel.id, events);
    await this.threads.announceUpdated(news.threads);
  }

  /**
   * The new posts as clients see them. Thread roots without files or priority, in a message that added no reactions
   * or acknowledgements, have no metadata yet and no replies: their JSON is built from the rows as written, without
   * the metadata reads (the common case of a catch-up).
   */
  private async postedJson(news: Announcements): Promise<Record<string, unknown>[]> {
    const bare =
      !news.prioritized &&
      news.reactions.length === 0 &&
      news.acks.length === 0 &&
      news.posted.every((p) => p.root_id === '' && p.file_ids.length === 0);
    return bare ? news.posted.map((p) => toPostJson(p)) : this.reads.toJsonMany(news.posted);
  }
}
