import { Channel, ChannelMember } from '@fedchat/models';
import { newId } from '@fedchat/crypto';
import type { EntityManager } from 'typeorm';

/** Mattermost's default channels: every team has them and every team member joins them. */
export const TOWN_SQUARE = 'town-square';
export const OFF_TOPIC = 'off-topic';
export const DEFAULT_CHANNELS = [
  { name: TOWN_SQUARE, display_name: 'Town Square' },
  { name: OFF_TOPIC, display_name: 'Off-Topic' },
] as const;

/** A new channel row: counters at zero, not shared; `fields` gives what differs. */
export function newChannelRow(
  fields: Pick<Channel, 'team_id' | 'type' | 'display_name' | 'name' | 'creator_id'> & Partial<Pick<Channel, 'header' | 'purpose'>>,
  now: number,
): Channel {
  return {
    id: newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    header: '',
    purpose: '',
    last_post_at: 0,
    total_msg_count: 0,
    shared: false,
    last_root_post_at: 0,
    total_msg_count_root: 0,
    ...fields,
  };
}

export const CHANNEL_USER_ROLES = 'channel_user';
export const CHANNEL_ADMIN_ROLES = 'channel_user channel_admin';

/** Mattermost's default notify props of a new channel membership. */
export function defaultChannelNotifyProps(): Record<string, string> {
  return {
    desktop: 'default',
    desktop_sound: 'default',
    desktop_threads: 'default',
    email: 'default',
    push: 'default',
    push_threads: 'default',
    mark_unread: 'all',
    ignore_channel_mentions: 'default',
    channel_auto_follow_threads: 'off',
  };
}

/**
 * Adds a membership inside the caller's transaction and opens its history period (join_time, leave_time NULL).
 * An existing membership is returned untouched (`created` false), so concurrent adds cannot fail each other.
 */
export async function joinChannel(
  tx: EntityManager,
  channelId: string,
  userId: string,
  opts: { admin: boolean; now: number },
): Promise<{ member: ChannelMember; created: boolean }> {
  const inserted: unknown[] = await tx.query(
    `INSERT INTO channel_members (channel_id, user_id, roles, notify_props, last_update_at, scheme_user, scheme_admin)
     VALUES ($1, $2, $3, $4::jsonb, $5, true, $6)
     ON CONFLICT (channel_id, user_id) DO NOTHING
     RETURNING user_id`,
    [
      channelId,
      userId,
      opts.admin ? CHANNEL_ADMIN_ROLES : CHANNEL_USER_ROLES,
      JSON.stringify(defaultChannelNotifyProps()),
      opts.now,
      opts.admin,
    ],
  );
  const created = inserted.length > 0;
  if (created) {
    // A leave and re-join within the same millisecond reopens that period rather than colliding with it.
    await tx.query(
      `INSERT INTO channel_member_history (channel_id, user_id, join_time, leave_time) VALUES ($1, $2, $3, NULL)
       ON CONFLICT (channel_id, user_id, join_time) DO UPDATE SET leave_time = NULL`,
      [channelId, userId, opts.now],
    );
  }
  const member = await tx.getRepository(ChannelMember).findOneByOrFail({ channel_id: channelId, user_id: userId });
  return { member, created };
}

/** Removes a membership inside the caller's transaction and closes its open history period; false if there was none. */
export async function leaveChannel(tx: EntityManager, channelId: string, userId: string, now: number): Promise<boolean> {
  const result = await tx.getRepository(ChannelMember).delete({ channel_id: channelId, user_id: userId });
  if (!result.affected) return false;
  await tx.query(`UPDATE channel_member_history SET leave_time = $3 WHERE channel_id = $1 AND user_id = $2 AND leave_time IS NULL`, [
    channelId,
    userId,
    now,
  ]);
  return true;
}
