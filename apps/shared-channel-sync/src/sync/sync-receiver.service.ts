import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { stampChange } from '@fedchat/chat';
import { PeerResponse } from '@fedchat/contracts';
import { DataSource } from 'typeorm';
import { SyncMetrics } from './sync.metrics';
import { emptySyncResponse, NOT_SHARED_ERROR } from './sync-message';
import { ApplyContext, noAnnouncements } from './receive/apply-context';
import { ChannelChangesForwarder } from './receive/channel-changes-forwarder.service';
import { applyAck, applyReaction } from './receive/received-reactions';
import { ReceivedMetadata } from './receive/received-metadata.service';
import { ReceivedPosts } from './receive/received-posts.service';
import { applyUser } from './receive/received-users';
import { applyItem } from './receive/savepoints';
import { SyncAnnouncer } from './receive/sync-announcer.service';
import { shareWithSender } from './receive/sync-authority';
import { admitSyncMessage } from './receive/sync-message-gate';

/**
 * `sharedchannel_sync` from a peer (protocol §4.2), with authority checked on every item: the channel must be shared
 * with the sender; new posts, reactions and acknowledgements must come from the sender's own users; edits and
 * deletes only touch posts the sender's users wrote (stricter than Mattermost); local users are never touched.
 * A message is applied in one transaction, each item in a savepoint, so one bad item is refused alone. Applying the
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
    const share = await shareWithSender(this.dataSource, remoteId, msg.channel_id);
    if (!share) {
      this.log.warn({ remoteId, channelId: msg.channel_id }, 'sync for a channel not shared with the sender');
      return { status: 'FAIL', err: NOT_SHARED_ERROR };
    }
    const { channel } = share;
    if (msg.channel_metadata) {
      const refusal = await this.metadata.apply(remoteId, channel.id, msg.channel_metadata);
      if (refusal) {
        this.metrics.receiveErrors.inc({ remote_id: remoteId });
        return refusal;
      }
    }

    const started = Date.now();
    const response = emptySyncResponse();
    const news = noAnnouncements();
    const ctx = await this.dataSource.transaction(async (tx) => {
      const { at } = await stampChange(tx, channel.id);
      const ctx: ApplyContext = { ...share, remoteId, response, news, msg, stamp: at };
      for (const [key, user] of Object.entries(msg.users ?? {})) {
        await applyItem(tx, response.user_errors, key, () => applyUser(tx, ctx, key, user));
      }
      await this.posts.apply(tx, ctx, msg.posts ?? []);
      for (const r of msg.reactions ?? []) await applyItem(tx, response.reaction_errors, r.post_id, () => applyReaction(tx, ctx, r));
      for (const a of msg.acknowledgements ?? []) {
        await applyItem(tx, response.acknowledgement_errors, a.post_id, () => applyAck(tx, ctx, a));
      }
      await this.posts.countNew(tx, ctx);
      return ctx;
    });
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
}
