import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { toChannelJson, WebSocketEvents, WsEvent } from '@fedchat/chat';
import { PeerResponse } from '@fedchat/contracts';
import { Channel, returning } from '@fedchat/models';
import { DataSource } from 'typeorm';
import { ChannelMetadataMsg, NOT_HOME_ERROR } from '../sync-message';

/**
 * `channel_metadata` from a peer: applied only when the sender is the channel's home (our copy is `home = false` with
 * `remote_id` = sender), and only when its stamp is newer than the one applied last (re-sends and late arrivals
 * change nothing). Anything else is refused whole, so that a peer cannot rename channels it does not own.
 */
@Injectable()
export class ReceivedMetadata {
  private readonly log = new Logger('ReceivedMetadata');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: WebSocketEvents,
  ) {}

  /** Undefined when applied (or already applied); otherwise the FAIL answer for the peer. */
  async apply(remoteId: string, channelId: string, metadata: ChannelMetadataMsg): Promise<PeerResponse | undefined> {
    const updated = await this.dataSource.transaction(async (tx) => {
      const claimed = await returning<{ channel_id: string }>(
        tx,
        `UPDATE shared_channels SET share_display_name = $3, share_header = $4, share_purpose = $5, metadata_changed_at = $6,
           update_at = $7
         WHERE channel_id = $1 AND NOT home AND remote_id = $2 AND metadata_changed_at < $6 RETURNING channel_id`,
        [channelId, remoteId, metadata.display_name, metadata.header, metadata.purpose, metadata.update_at, Date.now()],
      );
      if (claimed.length === 0) return undefined;
      await tx
        .getRepository(Channel)
        .update(
          { id: channelId },
          { display_name: metadata.display_name, header: metadata.header, purpose: metadata.purpose, update_at: Date.now() },
        );
      return tx.getRepository(Channel).findOneByOrFail({ id: channelId });
    });
    if (updated) {
      await this.events.toChannel(updated.id, WsEvent.ChannelUpdated, { channel: JSON.stringify(toChannelJson(updated)) });
      return undefined;
    }
    const homedHere = await this.dataSource.query(`SELECT 1 FROM shared_channels WHERE channel_id = $1 AND NOT home AND remote_id = $2`, [
      channelId,
      remoteId,
    ]);
    if (homedHere.length > 0) return undefined; // an older or repeated stamp: nothing to do
    this.log.warn({ remoteId, channelId }, 'channel metadata from a peer that is not the channel home refused');
    return { status: 'FAIL', err: NOT_HOME_ERROR };
  }
}
