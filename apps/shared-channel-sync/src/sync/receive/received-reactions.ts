import { RefusedItem } from '@fedchat/chat';
import { Post, PostAcknowledgement, Reaction } from '@fedchat/models';
import { EntityManager } from 'typeorm';
import { SyncAck, SyncReaction } from '../sync-message';
import { ApplyContext } from './apply-context';
import { senderUser } from './sync-authority';

/** The post a reaction or acknowledgement is about: it must be in the message's channel and not deleted. */
async function postInChannel(tx: EntityManager, ctx: ApplyContext, postId: string): Promise<Post> {
  const post = await tx.getRepository(Post).findOneBy({ id: postId });
  if (!post || post.channel_id !== ctx.channel.id) throw new RefusedItem('post not in this channel');
  if (post.delete_at > 0) throw new RefusedItem('post deleted');
  return post;
}

/** State, not toggle: `delete_at` > 0 removes the reaction if present, otherwise it is made present. */
export async function applyReaction(tx: EntityManager, ctx: ApplyContext, r: SyncReaction): Promise<void> {
  const post = await postInChannel(tx, ctx, r.post_id);
  await senderUser(tx, ctx, r.user_id);
  const stamp = ctx.stamp;
  ctx.response.reactions_last_update_at = Math.max(ctx.response.reactions_last_update_at, r.update_at);
  const reactions = tx.getRepository(Reaction);
  const existing = await reactions.findOneBy({ post_id: post.id, user_id: r.user_id, emoji_name: r.emoji_name });
  if (r.delete_at > 0) {
    if (!existing || existing.delete_at > 0) return;
    await reactions.update({ post_id: post.id, user_id: r.user_id, emoji_name: r.emoji_name }, { delete_at: stamp, update_at: stamp });
    await tx.query(
      `UPDATE posts SET update_at = GREATEST(update_at, $2),
         has_reactions = EXISTS (SELECT 1 FROM reactions x WHERE x.post_id = $1 AND x.delete_at = 0) WHERE id = $1`,
      [post.id, stamp],
    );
    ctx.news.reactions.push({ reaction: { ...existing, delete_at: stamp, update_at: stamp }, added: false });
    return;
  }
  if (existing && existing.delete_at === 0) return;
  if (ctx.readonly) throw new RefusedItem('read-only share: the remote may not react');
  const row: Reaction = {
    post_id: post.id,
    user_id: r.user_id,
    emoji_name: r.emoji_name,
    create_at: r.create_at || stamp,
    update_at: stamp,
    delete_at: 0,
    remote_id: ctx.remoteId,
    channel_id: ctx.channel.id,
  };
  await reactions.upsert({ ...row }, ['post_id', 'user_id', 'emoji_name']);
  await tx.query(`UPDATE posts SET has_reactions = true, update_at = GREATEST(update_at, $2) WHERE id = $1`, [post.id, stamp]);
  ctx.news.reactions.push({ reaction: row, added: true });
}

/** State, as Mattermost: `acknowledged_at` 0 removes the acknowledgement, any other value makes it present. */
export async function applyAck(tx: EntityManager, ctx: ApplyContext, a: SyncAck): Promise<void> {
  const post = await postInChannel(tx, ctx, a.post_id);
  await senderUser(tx, ctx, a.user_id);
  const stamp = ctx.stamp;
  ctx.response.acknowledgements_last_update_at = Math.max(ctx.response.acknowledgements_last_update_at, a.acknowledged_at);
  const acks = tx.getRepository(PostAcknowledgement);
  const existing = await acks.findOneBy({ post_id: post.id, user_id: a.user_id });
  const present = existing !== null && existing.acknowledged_at > 0;
  if (a.acknowledged_at > 0 === present) return;
  const row: PostAcknowledgement = {
    post_id: post.id,
    user_id: a.user_id,
    acknowledged_at: a.acknowledged_at,
    channel_id: ctx.channel.id,
    remote_id: ctx.remoteId,
  };
  await acks.upsert({ ...row }, ['post_id', 'user_id']);
  await tx.query(`UPDATE posts SET update_at = GREATEST(update_at, $2) WHERE id = $1`, [post.id, stamp]);
  ctx.news.acks.push({ ack: row, added: a.acknowledged_at > 0 });
}
