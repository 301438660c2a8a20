import { Injectable, Logger } from '@nestjs/common';
import { Bus } from '@fedchat/common';
import { ApplyChannelChanges, ChannelMembersChangedEvent } from '@fedchat/contracts';
import { SyncMsg, SyncResponse } from '../sync-message';

/**
 * What a received message hands on after it is applied: the statuses and membership changes go to the user-sync app
 * (their owner), and a membership this message made is announced so the membership sync passes it to other remotes.
 */
@Injectable()
export class ChannelChangesForwarder {
  private readonly log = new Logger('SyncReceiver');

  constructor(private readonly bus: Bus) {}

  /** A received user joined the channel. */
  membersChanged(channelId: string): void {
    this.bus.emit(ChannelMembersChangedEvent, { channel_id: channelId });
  }

  /**
   * The user-sync app's part of the message, after its users exist here; its refusals join `response`. False when
   * user-sync could not answer: the whole message must fail so that the peer sends it again (everything applied
   * before is idempotent).
   */
  async toUserSync(remoteId: string, channelId: string, msg: SyncMsg, response: SyncResponse): Promise<boolean> {
    if ((msg.statuses?.length ?? 0) + (msg.membership_changes?.length ?? 0) === 0) return true;
    const asObjects = (list: unknown[] | null | undefined) =>
      (list ?? []).map((item) =>
        item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : {},
      );
    try {
      const applied = await this.bus.request(ApplyChannelChanges, {
        remote_id: remoteId,
        channel_id: channelId,
        statuses: asObjects(msg.statuses),
        membership_changes: asObjects(msg.membership_changes),
      });
      response.status_errors.push(...applied.status_errors);
      if (applied.membership_errors.length > 0) response.membership_errors = applied.membership_errors;
      return true;
    } catch (err) {
      this.log.error({ err, remoteId }, 'statuses and membership changes could not be applied');
      return false;
    }
  }
}
