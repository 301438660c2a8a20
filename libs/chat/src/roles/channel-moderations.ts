import { Permission } from '../permissions';

/**
 * Mattermost's channel moderations: the four switches an admin turns per channel (System Console → Channels →
 * Channel Moderation), each covering one or two role permissions. Turning one off for members withdraws its
 * permissions from the channel's members; channel, team and system admins keep them.
 */
export const CHANNEL_MODERATIONS = ['create_post', 'create_reactions', 'manage_members', 'use_channel_mentions'] as const;
export type ChannelModerationName = (typeof CHANNEL_MODERATIONS)[number];

const MODERATION_OF: ReadonlyMap<string, ChannelModerationName> = new Map<string, ChannelModerationName>([
  [Permission.CreatePost, 'create_post'],
  [Permission.AddReaction, 'create_reactions'],
  [Permission.RemoveReaction, 'create_reactions'],
  [Permission.ManagePublicChannelMembers, 'manage_members'],
  [Permission.ManagePrivateChannelMembers, 'manage_members'],
  [Permission.UseChannelMentions, 'use_channel_mentions'],
]);

export function isChannelModerationName(name: unknown): name is ChannelModerationName {
  return typeof name === 'string' && (CHANNEL_MODERATIONS as readonly string[]).includes(name);
}

/** The moderation that covers a permission, if any. */
export function moderationOf(permission: Permission): ChannelModerationName | undefined {
  return MODERATION_OF.get(permission);
}

/**
 * The permission a moderation stands for in a channel of this type, as Mattermost reads it from a role: members are
 * managed through the public or the private permission, reactions through `add_reaction`.
 */
export function moderatedPermission(name: ChannelModerationName, channelType: string): Permission {
  switch (name) {
    case 'create_post':
      return Permission.CreatePost;
    case 'create_reactions':
      return Permission.AddReaction;
    case 'manage_members':
      return channelType === 'P' ? Permission.ManagePrivateChannelMembers : Permission.ManagePublicChannelMembers;
    case 'use_channel_mentions':
      return Permission.UseChannelMentions;
  }
}
