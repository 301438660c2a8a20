import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ChannelAccess,
  CHANNEL_MODERATIONS,
  ChannelModerationName,
  moderatedPermission,
  RoleCatalogue,
  ROLE_CHANNEL_USER,
  WebSocketEvents,
  WsEvent,
} from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { Channel, ChannelModeration } from '@fedchat/models';
import { DataSource } from 'typeorm';
import type { ChannelModerationJson, ChannelModerationPatch } from './channel-moderations.dto';

function restrictedError(): AppError {
  return AppError.badRequest(
    'api.channel.patch_channel_moderations.restricted.app_error',
    'Cannot add a permission that is restricted by the team or system permission scheme.',
  );
}

/**
 * Mattermost's channel moderations: per channel, which moderated permissions its members keep. They apply to this
 * workspace's users only: content a remote sends into a shared channel is accepted whatever they say (the sync
 * receiver does not read them), and the read-only flag of a shared channel is a separate thing.
 */
@Injectable()
export class ChannelModerationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: ChannelAccess,
    private readonly catalogue: RoleCatalogue,
    private readonly events: WebSocketEvents,
  ) {}

  async get(channelId: string): Promise<ChannelModerationJson[]> {
    return this.build(await this.moderatable(channelId));
  }

  /**
   * Applies the patch: `members: false` withdraws the permission from the channel's members, `members: true` gives it
   * back, which only the team's or system's channel user role can grant (as Mattermost, 400 otherwise).
   */
  async patch(channelId: string, patches: ChannelModerationPatch[]): Promise<ChannelModerationJson[]> {
    const channel = await this.moderatable(channelId);
    const grantable = await this.memberRolePermissions(channel);
    for (const patch of patches) {
      // No guest accounts, so no guest role that could hold anything: guests may only be switched off.
      if (patch.guests === true) throw restrictedError();
      if (patch.members === true && !grantable.has(moderatedPermission(patch.name, channel.type))) throw restrictedError();
    }
    const now = Date.now();
    await this.dataSource.transaction(async (tx) => {
      const rows = tx.getRepository(ChannelModeration);
      for (const patch of patches) {
        if (patch.members === false)
          await rows.upsert({ channel_id: channel.id, name: patch.name, create_at: now }, ['channel_id', 'name']);
        else if (patch.members === true) await rows.delete({ channel_id: channel.id, name: patch.name });
      }
    });
    // Mattermost's signal that the channel's permissions changed: the apps reload what they may offer here.
    await this.events.toChannel(channel.id, WsEvent.ChannelSchemeUpdated, {});
    return this.build(channel);
  }

  /** Team channels only: direct and group channels have no admins to moderate them. */
  private async moderatable(channelId: string): Promise<Channel> {
    const channel = await this.access.channelOrThrow(channelId);
    if (channel.type !== 'O' && channel.type !== 'P') {
      throw AppError.badRequest(
        'api.channel.patch_channel_moderations.direct_or_group.app_error',
        'Direct and group channels have no channel moderations.',
      );
    }
    return channel;
  }

  private async build(channel: Channel): Promise<ChannelModerationJson[]> {
    const grantable = await this.memberRolePermissions(channel);
    const withdrawn = new Set(
      (await this.dataSource.getRepository(ChannelModeration).findBy({ channel_id: channel.id })).map((m) => m.name),
    );
    return CHANNEL_MODERATIONS.map((name: ChannelModerationName) => {
      const enabled = grantable.has(moderatedPermission(name, channel.type));
      return { name, roles: { guests: null, members: { value: enabled && !withdrawn.has(name), enabled } } };
    });
  }

  /** What the higher-scoped channel user role grants: the team's override scheme's copy, or the built-in channel_user. */
  private async memberRolePermissions(channel: Channel): Promise<Set<string>> {
    const rows: Array<{ role: string }> = await this.dataSource.query(
      `SELECT s.default_channel_user_role AS role
         FROM teams t JOIN schemes s ON s.id = t.scheme_id AND s.delete_at = 0
        WHERE t.id = $1`,
      [channel.team_id],
    );
    const role = await this.catalogue.byName(rows[0]?.role ?? ROLE_CHANNEL_USER);
    return new Set(role && role.delete_at === 0 ? role.permissions : []);
  }
}
