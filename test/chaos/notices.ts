import type { Api, PostJson } from '@fedchat/testing';

export type NoticeCounts = { interrupted: number; resumed: number };

/** Posts a `since` query returns at most (the gateway's SINCE_LIMIT): a full answer means there may be more. */
const SINCE_PAGE = 1000;

/**
 * Counts the sync notices ("interrupted", "resumed") in some channels of some clusters as they come. The first
 * `count()` reads every channel once; later ones ask only for what changed since the newest change stamp seen
 * (`GET /channels/{id}/posts?since=`), so polling it every second costs a few small queries, not a read of every
 * post. A channel's stamps only grow (every change gets `GREATEST(last_change_at + 1, now)`, on a stepped clock
 * too), so nothing posted later is missed. A channel that could not be read keeps its last counts.
 */
export class NoticeCounter {
  private readonly streams: { api: Api; channelId: string; cursor: number; notices: Map<string, 'interrupted' | 'resumed'> }[];

  constructor(apis: Api[], channelIds: string[]) {
    // `since=0` means "no since" to the API (a page of the newest posts); 1 ms after the epoch is before everything.
    this.streams = apis.flatMap((api) => channelIds.map((channelId) => ({ api, channelId, cursor: 1, notices: new Map() })));
  }

  async count(): Promise<NoticeCounts> {
    // Side by side: one slow cluster must not make a poll take the sum of its channels' answers.
    await Promise.all(this.streams.map((stream) => this.read(stream)));
    const counts: NoticeCounts = { interrupted: 0, resumed: 0 };
    for (const stream of this.streams) for (const state of stream.notices.values()) counts[state]++;
    return counts;
  }

  private async read(stream: NoticeCounter['streams'][number]): Promise<void> {
    try {
      for (;;) {
        const list = await stream.api.get<{ order: string[]; posts: Record<string, PostJson> }>(
          `/channels/${stream.channelId}/posts?since=${stream.cursor}&skipFetchThreads=true`,
        );
        for (const id of list.order) {
          const post = list.posts[id];
          stream.cursor = Math.max(stream.cursor, post.update_at);
          const state = post.props?.sync_state;
          if ((state === 'interrupted' || state === 'resumed') && post.delete_at === 0) stream.notices.set(post.id, state);
          else stream.notices.delete(post.id);
        }
        if (list.order.length < SINCE_PAGE) return;
      }
    } catch {
      // Down or not readable by this user (a DM or GM): the counts so far stand.
    }
  }
}
