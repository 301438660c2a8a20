import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, Bus } from '@fedchat/common';
import { addToTeamChannel, leaveChannel, RefusedItem, WebSocketEvents, WsEvent } from '@fedchat/chat';
import { ApplyChannelChangesReply, ApplyChannelChangesRequest, ChannelMembersChangedEvent } from '@fedchat/contracts';
import { Channel, Status, User } from '@fedchat/models';
import { DataSource, EntityManager } from 'typeorm';
import { ZodError } from 'zod';
import { StatusSender } from '../send/status-sender.service';
import { describeZodError, itemUserId, MembershipChange, MembershipChangeSchema, SyncStatus, SyncStatusSchema } from '../user-sync-message';
import { UserSyncMetrics } from '../user-sync.metrics';

/**
 * The statuses and membership changes of a `sharedchannel_sync` message (protocol §4.2 steps 8-9), forwarded by the
 * shared-channel-sync receiver once it has applied the message's users. Each item is judged alone: a status only for
 * a user the sender owns; a membership change only with the feature flag on, for the message's channel (already
 * checked to be shared with the sender), a team channel, and a user the sender owns. An add joins the channel's team
 * first, then the channel; nothing else (no other team or channel) is ever touched.
 */
@Injectable()
export class ChannelChangesReceiver {
  private readonly log = new Logger('ChannelChangesReceiver');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: Bus,
    private readonly events: WebSocketEvents,
    private readonly statusSender: StatusSender,
    private readonly metrics: UserSyncMetrics,
  ) {}

  async apply(req: ApplyChannelChangesRequest): Promise<ApplyChannelChangesReply> {
    const reply: ApplyChannelChangesReply = { status_errors: [], membership_errors: [] };
    if (!this.config.connectedWorkspaces.disableSharedChannelsStatusSync) {
      for (const item of req.statuses) {
        await this.judge(req.remote_id, 'status', item, reply.status_errors, async () => {
          await this.applyStatus(req.remote_id, SyncStatusSchema.parse(item));
          this.metrics.statusesApplied.inc({ remote_id: req.remote_id });
        });
      }
    }
    if (this.config.featureFlags.enableSharedChannelsMemberSync && req.membership_changes.length > 0) {
      const channel = await this.dataSource.getRepository(Channel).findOneBy({ id: req.channel_id });
      let changed = false;
      try {
        for (const item of req.membership_changes) {
          await this.judge(req.remote_id, 'membership change', item, reply.membership_errors, async () => {
            if (await this.applyMembership(req.remote_id, channel, MembershipChangeSchema.parse(item))) changed = true;
            this.metrics.membershipApplied.inc({ remote_id: req.remote_id });
          });
        }
      } finally {
        // Other remotes sharing the channel get the change too (never the sender: its users are not sent back to it),
        // also what was applied before an item failed the message.
        if (changed) this.bus.emit(ChannelMembersChangedEvent, { channel_id: req.channel_id });
      }
    }
    return reply;
  }

  /**
   * Runs one item; a refusal is logged, counted and its user id listed (the sender moves past it: it would be refused
   * again), and the next item goes on. Any other error (a deadlock, a lost connection) is no decision about the item:
   * it fails the whole message, so that the sender keeps its cursor and sends it again (every item is idempotent).
   */
  private async judge(remoteId: string, kind: string, item: Record<string, unknown>, errors: string[], apply: () => Promise<void>) {
    try {
      await apply();
    } catch (err) {
      if (!(err instanceof RefusedItem || err instanceof ZodError)) {
        this.log.error({ err, remoteId, userId: itemUserId(item) }, `${kind} failed; the message fails so that the remote sends it again`);
        throw err;
      }
      const reason = err instanceof ZodError ? describeZodError(err) : err.message;
      this.log.warn({ remoteId, userId: itemUserId(item), reason }, `${kind} refused`);
      this.metrics.refused.inc({ remote_id: remoteId, kind: 'received' });
      errors.push(itemUserId(item));
    }
  }

  /** The user, if it exists and belongs to the sender; anything else (a local user, another remote's) is refused. */
  private async senderUser(tx: EntityManager, remoteId: string, userId: string): Promise<User> {
    const user = await tx.getRepository(User).findOneBy({ id: userId });
    if (!user) throw new RefusedItem('unknown user');
    if (user.remote_id !== remoteId) throw new RefusedItem('remoteID mismatch');
    return user;
  }

  /** Saved and broadcast as a local status change is, then passed on to the other remotes sharing a channel with the user. */
  private async applyStatus(remoteId: string, incoming: SyncStatus): Promise<void> {
    await this.senderUser(this.dataSource.manager, remoteId, incoming.user_id);
    const statuses = this.dataSource.getRepository(Status);
    const previous = await statuses.findOneBy({ user_id: incoming.user_id });
    if (previous && previous.status === incoming.status && previous.manual === incoming.manual) return;
    const row: Status = {
      user_id: incoming.user_id,
      status: incoming.status,
      manual: incoming.manual,
      last_activity_at: incoming.last_activity_at || Date.now(),
      dnd_end_time: incoming.status === 'dnd' ? incoming.dnd_end_time : 0,
      prev_status: previous?.status ?? '',
    };
    await statuses.upsert({ ...row }, ['user_id']);
    this.events.toAll(WsEvent.StatusChange, { status: row.status, user_id: row.user_id });
    this.statusSender.statusChanged(row);
  }

  /** True when the membership changed (an add of a member or a remove of a non-member changes nothing). */
  private async applyMembership(remoteId: string, channel: Channel | null, change: MembershipChange): Promise<boolean> {
    if (!channel || change.channel_id !== channel.id) throw new RefusedItem('membership change for another channel');
    if (channel.type !== 'O' && channel.type !== 'P') throw new RefusedItem('not a team channel');
    if (channel.delete_at > 0) throw new RefusedItem('channel archived');
    const now = Date.now();
    const result = await this.dataSource.transaction(async (tx) => {
      await this.senderUser(tx, remoteId, change.user_id);
      if (!change.is_add) return { changed: await leaveChannel(tx, channel.id, change.user_id, now), joinedTeam: false };
      const { joinedTeam, joinedChannel } = await addToTeamChannel(tx, channel, change.user_id);
      return { changed: joinedChannel, joinedTeam };
    });
    if (change.is_add) {
      if (result.joinedTeam) this.events.toUser(change.user_id, WsEvent.AddedToTeam, { team_id: channel.team_id, user_id: change.user_id });
      if (result.changed) await this.events.toChannel(channel.id, WsEvent.UserAdded, { user_id: change.user_id, team_id: channel.team_id });
    } else if (result.changed) {
      const data = { user_id: change.user_id, remover_id: change.user_id, channel_id: channel.id };
      await this.events.toChannel(channel.id, WsEvent.UserRemoved, data);
      this.events.toUser(change.user_id, WsEvent.UserRemoved, data);
    }
    return result.changed;
  }
}
