import { Injectable } from '@nestjs/common';
import { isValidId } from '@fedchat/crypto';
import { AppError } from '@fedchat/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Channel, ChannelMember, SharedChannel, TeamMember, User } from '@fedchat/models';
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
}
