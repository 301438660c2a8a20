import { RefusedItem, POST_MESSAGE_MAX_RUNES } from '@fedchat/chat';
import { Channel, RemoteCluster, SharedChannel, SharedChannelRemote, User } from '@fedchat/models';
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

/**
 * Authority: who may change what. The channel must be shared with the sender (a live connection, a confirmed share);
 * undefined when it is not, and the whole message is refused.
 */
export async function shareWithSender(db: DataSource, remoteId: string, channelId: string): Promise<ShareWithSender | undefined> {
  const rc = await db.getRepository(RemoteCluster).findOneBy({ remote_id: remoteId, delete_at: 0 });
  const scr = await db
    .getRepository(SharedChannelRemote)
    .findOneBy({ channel_id: channelId, remote_id: remoteId, delete_at: 0, is_invite_confirmed: true });
  const shared = await db.getRepository(SharedChannel).findOneBy({ channel_id: channelId });
  const channel = await db.getRepository(Channel).findOneBy({ id: channelId });
  if (!rc || !scr || !shared || !channel) return undefined;
  return { rc, channel, readonly: shared.home && scr.readonly };
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
