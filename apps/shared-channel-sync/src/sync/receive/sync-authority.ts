import { RefusedItem, POST_MESSAGE_MAX_RUNES } from '@fedchat/chat';
import { Channel, RemoteCluster, User } from '@fedchat/models';
import { DataSource, EntityManager } from 'typeorm';
import { SyncPost } from '../sync-message';
import { ApplyContext } from './apply-context';

/** The channel a message is about, as shared with its sender. */
export interface ShareWithSender {
  rc: RemoteCluster;
  channel: Channel;
  /** Home side of a read-only share: the sender may neither post nor react. */
  readonly: boolean;
}

/** Rows of the channel's share with the sender, as JSON, whose numbers and booleans are what the entities hold. */
const SHARE_WITH_SENDER = `
  SELECT row_to_json(rc) AS rc, row_to_json(c) AS channel, (sc.home AND scr.readonly) AS readonly
  FROM remote_clusters rc
  JOIN shared_channel_remotes scr ON scr.remote_id = rc.remote_id AND scr.channel_id = $2 AND scr.delete_at = 0
    AND scr.is_invite_confirmed
  JOIN shared_channels sc ON sc.channel_id = $2
  JOIN channels c ON c.id = $2
  WHERE rc.remote_id = $1 AND rc.delete_at = 0
  LIMIT 1`;

/**
 * Authority: who may change what. The channel must be shared with the sender (a live connection, a confirmed share);
 * undefined when it is not, and the whole message is refused.
 */
export async function shareWithSender(db: DataSource, remoteId: string, channelId: string): Promise<ShareWithSender | undefined> {
  const rows: ShareWithSender[] = await db.query(SHARE_WITH_SENDER, [remoteId, channelId]);
  return rows[0];
}

/**
 * Inside a message's transaction: the share with the sender and the channel's change stamp for the message (what
 * `stampChange` does), in one statement, as every message pays it first. Undefined, with nothing stamped, when the
 * channel is not shared with the sender.
 */
export async function shareAndStamp(
  tx: EntityManager,
  remoteId: string,
  channelId: string,
): Promise<(ShareWithSender & { stamp: number }) | undefined> {
  const rows: (ShareWithSender & { stamp: string })[] = await tx.query(
    `WITH share AS (${SHARE_WITH_SENDER}),
     stamped AS (
       UPDATE shared_channels SET last_change_at = GREATEST(last_change_at + 1, $3)
       WHERE channel_id = $2 AND EXISTS (SELECT 1 FROM share)
       RETURNING last_change_at)
     SELECT share.*, stamped.last_change_at AS stamp FROM share, stamped`,
    [remoteId, channelId, Date.now()],
  );
  if (rows.length === 0) return undefined;
  const { stamp, ...share } = rows[0];
  return { ...share, stamp: Number(stamp) };
}

/** The user, if it exists and belongs to the sender (`remote_id` = sender); anything else is refused. */
export function ownedBySender(ctx: ApplyContext, user: User | null | undefined): User {
  if (!user) throw new RefusedItem('unknown user');
  if (user.remote_id !== ctx.remoteId) throw new RefusedItem('remoteID mismatch');
  return user;
}

/** The sender's user (`remote_id` = sender), or a refusal. */
export async function senderUser(tx: EntityManager, ctx: ApplyContext, userId: string): Promise<User> {
  return ownedBySender(ctx, await tx.getRepository(User).findOneBy({ id: userId }));
}

/** What any received post must be, new or not. */
export function checkPostShape(ctx: ApplyContext, incoming: SyncPost): void {
  if (incoming.channel_id !== ctx.channel.id) throw new RefusedItem('post of another channel');
  if (incoming.type.startsWith('system_')) throw new RefusedItem('system messages are not synced');
  if ([...incoming.message].length > POST_MESSAGE_MAX_RUNES || incoming.message.includes('\u0000')) {
    throw new RefusedItem('invalid message');
  }
  const propsJson = JSON.stringify(incoming.props);
  if (propsJson.length > 800_000 || propsJson.includes('\\u0000')) throw new RefusedItem('props too large');
}
