import { Injectable } from '@nestjs/common';
import { isValidId } from '@fedchat/crypto';
import { AppError } from '@fedchat/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Channel, ChannelMember, SharedChannel, TeamMember, User } from '@fedchat/models';
import { Repository } from 'typeorm';
import { hasPermission, Permission } from '../permissions';
import { HeldRoles, heldRoles, heldRolesGrant, MembershipRow } from '../roles/held-roles';

/**
 * The one place that decides who may read and write a channel. Members read and write; members of a public
 * channel's team may read it without joining; archived channels are read-only; system admins read everything.
 */
@Injectable()
export class ChannelAccess {
  constructor(
    @InjectRepository(Channel) private readonly channels: Repository<Channel>,
    @InjectRepository(ChannelMember) private readonly members: Repository<ChannelMember>,
    @InjectRepository(TeamMember) private readonly teamMembers: Repository<TeamMember>,
    @InjectRepository(SharedChannel) private readonly sharedChannels: Repository<SharedChannel>,
  ) {}

  async channelOrThrow(channelId: string): Promise<Channel> {
    if (!isValidId(channelId)) throw AppError.invalidParam('channel_id');
    const channel = await this.channels.findOneBy({ id: channelId });
    if (!channel) throw AppError.notFound('channel');
    return channel;
  }

  async isMember(userId: string, channelId: string): Promise<boolean> {
    return this.members.existsBy({ user_id: userId, channel_id: channelId });
  }

  async canRead(user: User, channel: Channel): Promise<boolean> {
    if (await this.isMember(user.id, channel.id)) return true;
    if (hasPermission(user.roles, Permission.ReadAnyChannel)) return true;
    if (channel.type !== 'O') return false;
    return this.teamMembers.existsBy({ team_id: channel.team_id, user_id: user.id, delete_at: 0 });
  }

  /** Loads the channel and checks read access; 404 rather than 403 for private channels one cannot see. */
  async requireRead(user: User, channelId: string): Promise<Channel> {
    const channel = await this.channelOrThrow(channelId);
    if (!(await this.canRead(user, channel))) {
      if (channel.type === 'O') throw AppError.forbidden('read_channel');
      throw AppError.notFound('channel');
    }
    return channel;
  }

  /** Loads the channel and checks that the user may post in it. */
  async requireWrite(user: User, channelId: string): Promise<Channel> {
    const channel = await this.requireRead(user, channelId);
    if (channel.delete_at > 0) {
      throw new AppError('api.post.create_post.can_not_post_to_deleted.error', 'Can not post to a deleted channel.', 403);
    }
    if (!(await this.isMember(user.id, channel.id))) throw AppError.forbidden('create_post');
    if (channel.shared && (await this.sharedChannels.existsBy({ channel_id: channel.id, home: false, readonly: true }))) {
      // A read-only share from another workspace: members here may read, not post or react (the home refuses too).
      throw new AppError('api.post.create_post.shared_channel_read_only.app_error', 'This shared channel is read-only here.', 403);
    }
    return channel;
  }

  /**
   * The team and channel roles the user holds in the channel, and the channel's moderations, in one query (the
   * posting path asks this once per post).
   */
  async channelRoles(userId: string, channel: Channel): Promise<HeldRoles> {
    const rows: MembershipRow[] = await this.channels.query(
      `SELECT cm.user_id IS NOT NULL AS channel_member, cm.scheme_admin AS channel_scheme_admin, cm.roles AS channel_roles,
              tm.user_id IS NOT NULL AS team_member, tm.scheme_admin AS team_scheme_admin, tm.roles AS team_roles,
              s.default_team_user_role, s.default_team_admin_role, s.default_channel_user_role, s.default_channel_admin_role,
              ARRAY(SELECT m.name FROM channel_moderations m WHERE m.channel_id = $1) AS withdrawn
         FROM (SELECT 1) AS one
         LEFT JOIN channel_members cm ON cm.channel_id = $1 AND cm.user_id = $2
         LEFT JOIN team_members tm ON tm.team_id = $3 AND tm.user_id = $2 AND tm.delete_at = 0
         LEFT JOIN teams t ON t.id = $3
         LEFT JOIN schemes s ON s.id = t.scheme_id AND s.delete_at = 0`,
      [channel.id, userId, channel.team_id],
    );
    return heldRoles(rows[0]);
  }

  /**
   * Whether the user holds `permission` in the channel: through their system roles, their team roles and their
   * channel roles (the team's override scheme's copies where it has one). A moderation of the channel that withdraws
   * the permission from members leaves it to the admin roles; `adminRolesOnly` asks that for any permission (the
   * suite's finer lines, e.g. removing someone else from a channel).
   */
  async hasChannelPermission(user: User, channel: Channel, permission: Permission, adminRolesOnly = false): Promise<boolean> {
    if (hasPermission(user.roles, permission)) return true;
    return heldRolesGrant(await this.channelRoles(user.id, channel), permission, adminRolesOnly);
  }

  /** 403 naming the permission unless the user holds it in the channel (`hasChannelPermission`). */
  async requireChannelPermission(user: User, channel: Channel, permission: Permission): Promise<void> {
    if (!(await this.hasChannelPermission(user, channel, permission))) throw AppError.forbidden(permission);
  }
}
