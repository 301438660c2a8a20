import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { PeerResponse } from '@fedchat/contracts';
import { DataSource } from 'typeorm';
import { SyncMetrics } from './sync.metrics';
import { emptySyncResponse, NOT_SHARED_ERROR, SyncMsg } from './sync-message';
import { ApplyContext, noAnnouncements } from './receive/apply-context';
import { ChannelChangesForwarder } from './receive/channel-changes-forwarder.service';
import { applyAck, applyReaction } from './receive/received-reactions';
import { ReceivedMetadata } from './receive/received-metadata.service';
import { BulkInsertFailed, ReceivedPosts } from './receive/received-posts.service';
import { applyUser } from './receive/received-users';
import { applyItem } from './receive/savepoints';
import { SyncAnnouncer } from './receive/sync-announcer.service';
import { shareAndStamp, shareWithSender } from './receive/sync-authority';
import { admitSyncMessage } from './receive/sync-message-gate';

/**
 * `sharedchannel_sync` from a peer (protocol §4.2), with authority checked on every item: the channel must be shared
 * with the sender; new posts, reactions and acknowledgements must come from the sender's own users; edits and
 * deletes only touch posts the sender's users wrote (stricter than Mattermost); local users are never touched.
 * A message is applied in one transaction, so one bad item is refused alone: each item in a savepoint, except new
 * posts, which go in one statement (and, should that fail, the message is applied again with a savepoint per post). Applying the
 * same message twice changes nothing (the receiver compares state; reactions and acknowledgements are state, not
 * toggles), which is what makes re-sends after a crash harmless.
 *
 * This class only runs the steps, in order; each lives in `./receive`: parsing (sync-message-gate), authority
 * (sync-authority), users, posts (with files and priority), reactions and acknowledgements, the websocket events
 * (sync-announcer) and what goes on to other apps (channel-changes-forwarder).
 */
@Injectable()
export class SyncReceiver {
  private readonly log = new Logger('SyncReceiver');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly posts: ReceivedPosts,
    private readonly metadata: ReceivedMetadata,
    private readonly announcer: SyncAnnouncer,
    private readonly forwarder: ChannelChangesForwarder,
    private readonly metrics: SyncMetrics,
  ) {}

  async receive(remoteId: string, payload: Record<string, unknown>): Promise<PeerResponse> {
    const admitted = admitSyncMessage(payload, this.config);
    if ('answer' in admitted) {
      if (admitted.refused !== undefined) {
        this.metrics.receiveErrors.inc({ remote_id: remoteId });
        this.log.warn({ remoteId, reason: admitted.refused }, 'sync message refused');
      }
      return admitted.answer;
    }
    const msg = admitted.msg;
    if (msg.channel_metadata) {
      // Applied before (and whatever becomes of) the rest of the message; the rare message that carries it pays a read.
      const share = await shareWithSender(this.dataSource, remoteId, msg.channel_id);
      if (!share) return this.notShared(remoteId, msg.channel_id);
      const refusal = await this.metadata.apply(remoteId, share.channel.id, msg.channel_metadata);
      if (refusal) {
        this.metrics.receiveErrors.inc({ remote_id: remoteId });
        return refusal;
      }
    }

    const started = Date.now();
    let ctx: ApplyContext | undefined;
    try {
      ctx = await this.applyMessage(remoteId, msg, false);
    } catch (err) {
      if (!(err instanceof BulkInsertFailed)) throw err;
      // Nothing of the first attempt stayed: this one takes a savepoint per new post, so only the posts at fault are refused.
      this.log.warn({ err: err.cause }, 'bulk insert of received posts failed; applying the message again post by post');
      ctx = await this.applyMessage(remoteId, msg, true);
    }
    if (!ctx) return this.notShared(remoteId, msg.channel_id);
    const { channel, news, response } = ctx;
    await this.announcer.announce(channel, news);
    if (ctx.membersChanged) this.forwarder.membersChanged(channel.id);
    if (!(await this.forwarder.toUserSync(remoteId, channel.id, msg, response))) {
      return { status: 'FAIL', err: 'statuses and membership changes could not be applied; retry later' };
    }
    const refused =
      response.user_errors.length + response.post_errors.length + response.reaction_errors.length + response.acknowledgement_errors.length;
    this.metrics.itemsReceived.inc({ remote_id: remoteId }, news.posted.length + news.edited.length + news.deleted.length);
    if (refused > 0) this.metrics.receiveErrors.inc({ remote_id: remoteId }, refused);
    this.metrics.receiveDuration.observe({ remote_id: remoteId }, (Date.now() - started) / 1000);
    return { status: 'OK', payload: response as unknown as Record<string, unknown> };
  }

  /**
   * The message's users, posts, reactions and acknowledgements in one transaction, whose first statement checks the
   * share and stamps the change; undefined (nothing written) when the channel is not shared with the sender.
   * `postByPost`: the new posts go in one savepoint each instead of one statement for all.
   */
  private applyMessage(remoteId: string, msg: SyncMsg, postByPost: boolean): Promise<ApplyContext | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const share = await shareAndStamp(tx, remoteId, msg.channel_id);
      if (!share) return undefined;
      const { stamp, ...shared } = share;
      const ctx: ApplyContext = { ...shared, remoteId, response: emptySyncResponse(), news: noAnnouncements(), msg, stamp, postByPost };
      for (const [key, user] of Object.entries(msg.users ?? {})) {
        await applyItem(tx, ctx.response.user_errors, key, () => applyUser(tx, ctx, key, user));
      }
      await this.posts.apply(tx, ctx, msg.posts ?? []);
      for (const r of msg.reactions ?? []) await applyItem(tx, ctx.response.reaction_errors, r.post_id, () => applyReaction(tx, ctx, r));
      for (const a of msg.acknowledgements ?? []) {
        await applyItem(tx, ctx.response.acknowledgement_errors, a.post_id, () => applyAck(tx, ctx, a));
      }
      await this.posts.countNew(tx, ctx);
      return ctx;
    });
  }

  private notShared(remoteId: string, channelId: string): PeerResponse {
    this.log.warn({ remoteId, channelId }, 'sync for a channel not shared with the sender');
    return { status: 'FAIL', err: NOT_SHARED_ERROR };
  }
}
