import type { Channel, ChannelMember } from '@fedchat/models';

/** Mattermost's Channel JSON (ServerChannel). */
export function toChannelJson(channel: Channel): Record<string, unknown> {
  return {
    id: channel.id,
    create_at: channel.create_at,
    update_at: channel.update_at,
    delete_at: channel.delete_at,
    team_id: channel.team_id,
    type: channel.type,
    display_name: channel.display_name,
    name: channel.name,
    header: channel.header,
    purpose: channel.purpose,
    last_post_at: channel.last_post_at,
    total_msg_count: channel.total_msg_count,
    extra_update_at: 0,
    creator_id: channel.creator_id,
    scheme_id: null,
    props: null,
    group_constrained: null,
    shared: channel.shared,
    total_msg_count_root: channel.total_msg_count_root,
    policy_id: null,
    last_root_post_at: channel.last_root_post_at,
  };
}

/** Mattermost's ChannelMember JSON; `roles` holds the full role list (channel_user, channel_admin) as stored. */
export function toChannelMemberJson(member: ChannelMember): Record<string, unknown> {
  return {
    channel_id: member.channel_id,
    user_id: member.user_id,
    roles: member.roles,
    last_viewed_at: member.last_viewed_at,
    msg_count: member.msg_count,
    mention_count: member.mention_count,
    mention_count_root: member.mention_count_root,
    urgent_mention_count: member.urgent_mention_count,
    msg_count_root: member.msg_count_root,
    notify_props: member.notify_props,
    last_update_at: member.last_update_at,
    scheme_guest: false,
    scheme_user: member.scheme_user,
    scheme_admin: member.scheme_admin,
    explicit_roles: '',
  };
}

/** Channel admins: the explicit channel_admin role or the scheme admin flag. */
export function isChannelAdminMember(member: ChannelMember | null | undefined): boolean {
  if (!member) return false;
  return member.scheme_admin || member.roles.split(/\s+/).includes('channel_admin');
}
