import { addToTeamChannel, RefusedItem, refuseUserOwnedElsewhere, SyncUser, upsertRemoteUser } from '@fedchat/chat';
import { EntityManager } from 'typeorm';
import { ApplyContext } from './apply-context';

/** A user of the sender, stored (never a local user or another cluster's) and made a member of an open or private channel. */
export async function applyUser(tx: EntityManager, ctx: ApplyContext, key: string, incoming: SyncUser): Promise<void> {
  if (key !== incoming.id) throw new RefusedItem('user key differs from its id');
  await refuseUserOwnedElsewhere(tx, incoming);
  await upsertRemoteUser(tx, ctx.rc, incoming);
  if (ctx.channel.type === 'O' || ctx.channel.type === 'P') {
    if ((await addToTeamChannel(tx, ctx.channel, incoming.id)).joinedChannel) ctx.membersChanged = true;
  }
  ctx.response.users_syncd.push(incoming.id);
  ctx.response.users_last_update_at = Math.max(ctx.response.users_last_update_at, incoming.update_at);
}
