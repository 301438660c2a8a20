import { Injectable } from '@nestjs/common';
import { isValidId } from '@fedchat/crypto';
import { AppError } from '@fedchat/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Channel, ChannelMember, TeamMember, User } from '@fedchat/models';
import { Repository } from 'typeorm';
import { hasPermission, Permission } from '../permissions';

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

  /**
   * Loads the channel and checks that the user may post in it. Every post and reaction passes here, so the common
   * case (a member) is one statement: the channel, the membership and a read-only share together. A non-member is
   * refused, after the read check decides which refusal they get.
   */
  async requireWrite(user: User, channelId: string): Promise<Channel> {
    if (!isValidId(channelId)) throw AppError.invalidParam('channel_id');
    const rows: (ChannelRow & { is_member: boolean; read_only_share: boolean })[] = await this.channels.query(
      `SELECT ${CHANNEL_COLUMNS},
         EXISTS (SELECT 1 FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = $2) AS is_member,
         c.shared AND EXISTS (SELECT 1 FROM shared_channels s WHERE s.channel_id = c.id AND NOT s.home AND s.readonly) AS read_only_share
       FROM channels c WHERE c.id = $1`,
      [channelId, user.id],
    );
    if (rows.length === 0) throw AppError.notFound('channel');
    const channel = toChannel(rows[0]);
    if (!rows[0].is_member) await this.requireRead(user, channel.id);
    if (channel.delete_at > 0) {
      throw new AppError('api.post.create_post.can_not_post_to_deleted.error', 'Can not post to a deleted channel.', 403);
    }
    if (!rows[0].is_member) throw AppError.forbidden('create_post');
    if (rows[0].read_only_share) {
      // A read-only share from another workspace: members here may read, not post or react (the home refuses too).
      throw new AppError('api.post.create_post.shared_channel_read_only.app_error', 'This shared channel is read-only here.', 403);
    }
    return channel;
  }
}

/** The channels row as plain SQL returns it (bigint columns arrive as strings). */
interface ChannelRow extends Omit<Channel, ChannelBigint> {
  create_at: string;
  update_at: string;
  delete_at: string;
  last_post_at: string;
  total_msg_count: string;
  last_root_post_at: string;
  total_msg_count_root: string;
}
type ChannelBigint =
  'create_at' | 'update_at' | 'delete_at' | 'last_post_at' | 'total_msg_count' | 'last_root_post_at' | 'total_msg_count_root';

const CHANNEL_COLUMNS = [
  'id',
  'create_at',
  'update_at',
  'delete_at',
  'team_id',
  'type',
  'display_name',
  'name',
  'header',
  'purpose',
  'last_post_at',
  'total_msg_count',
  'creator_id',
  'shared',
  'last_root_post_at',
  'total_msg_count_root',
]
  .map((column) => `c.${column}`)
  .join(', ');

function toChannel(row: ChannelRow): Channel {
  return Object.assign(new Channel(), {
    id: row.id,
    create_at: Number(row.create_at),
    update_at: Number(row.update_at),
    delete_at: Number(row.delete_at),
    team_id: row.team_id,
    type: row.type,
    display_name: row.display_name,
    name: row.name,
    header: row.header,
    purpose: row.purpose,
    last_post_at: Number(row.last_post_at),
    total_msg_count: Number(row.total_msg_count),
    creator_id: row.creator_id,
    shared: row.shared,
    last_root_post_at: Number(row.last_root_post_at),
    total_msg_count_root: Number(row.total_msg_count_root),
  });
}
