import type { TouchedThread } from '@fedchat/chat';
import { Channel, Post, PostAcknowledgement, Reaction, RemoteCluster } from '@fedchat/models';
import { SyncMsg, SyncResponse } from '../sync-message';

/** What one message changed, announced on the websocket once its transaction has committed. */
export interface Announcements {
  posted: Post[];
  edited: Post[];
  deleted: Post[];
  reactions: { reaction: Reaction; added: boolean }[];
  acks: { ack: PostAcknowledgement; added: boolean }[];
  /** Threads that got replies, for their followers' `thread_updated`. */
  threads: TouchedThread[];
  /** Usernames of the new posts' authors, as read while applying (the `posted` event's sender_name). */
  senders: Map<string, string>;
  /** A new post got a priority. */
  prioritized?: boolean;
}

/** One received message being applied, inside its transaction: what it may touch, what it answers, what it changed. */
export interface ApplyContext {
  remoteId: string;
  rc: RemoteCluster;
  channel: Channel;
  /** Home side of a read-only share: the sender may neither post nor react. */
  readonly: boolean;
  response: SyncResponse;
  news: Announcements;
  /** A received user joined the channel: the membership sync passes it on to the other remotes. */
  membersChanged?: boolean;
  msg: SyncMsg;
  /** The channel's change stamp for this message: the `update_at` of everything it changes. */
  stamp: number;
  /** New posts go in one savepoint each (a first attempt with one statement for all of them failed). */
  postByPost: boolean;
  /** Read once per message: users named by mention transforms, and the channel's team name. */
  mentioned?: Map<string, { username: string; remoteId: string }>;
  teamName?: string;
}

export function noAnnouncements(): Announcements {
  return { posted: [], edited: [], deleted: [], reactions: [], acks: [], threads: [], senders: new Map() };
}
