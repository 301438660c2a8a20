import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ChannelAccess, hasPermission, Permission, RoleCatalogue, THREAD_READ_CHANGED, WebSocketEvents } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { isValidId } from '@fedchat/crypto';
import { ChannelMember, returning, User } from '@fedchat/models';
import { DataSource, EntityManager } from 'typeorm';

/** Mattermost's websocket events of a channel view. */
export const CHANNEL_VIEWED = 'channel_viewed';
export const MULTIPLE_CHANNELS_VIEWED = 'multiple_channels_viewed';

export interface ChannelView {
  channel_id: string;
  prev_channel_id: string;
  collapsed_threads_supported: boolean;
}

/** A membership with the team its channel belongs to (Mattermost's ChannelMemberWithTeamData). */
export interface MemberWithTeam {
  member: ChannelMember;
  team_display_name: string;
  team_name: string;
  team_update_at: number;
}

/**
 * Channel read state: a user's memberships (with their counters), viewing channels (which resets the counters to
 * the channel's totals), a channel's unread counts and its statistics.
 */
@Injectable()
export class ReadStateService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: ChannelAccess,
    private readonly events: WebSocketEvents,
    private readonly catalogue: RoleCatalogue,
  ) {}

  /** GET /users/{id}/teams/{team_id}/channels/members: memberships in the team's channels and in direct and group channels. */
  async membersInTeam(caller: User, userId: string, teamId: string): Promise<ChannelMember[]> {
    this.requireSelfOrAdmin(caller, userId);
    if (!isValidId(teamId)) throw AppError.invalidParam('team_id');
    if (!(await this.catalogue.hasTeamPermission(caller, teamId, Permission.ViewTeam))) throw AppError.forbidden(Permission.ViewTeam);
    return this.dataSource
      .getRepository(ChannelMember)
      .createQueryBuilder('m')
      .innerJoin('channels', 'c', 'c.id = m.channel_id')
      .where('m.user_id = :userId', { userId })
      .andWhere("(c.team_id = :teamId OR c.team_id = '')", { teamId })
      .orderBy('m.channel_id', 'ASC')
      .getMany();
  }

  /** GET /users/{id}/channel_members: every membership of the user, a page at a time, with team data. */
  async membersOfUser(caller: User, userId: string, skip: number, take: number): Promise<MemberWithTeam[]> {
    this.requireSelfOrAdmin(caller, userId);
    const members = await this.dataSource
      .getRepository(ChannelMember)
      .find({ where: { user_id: userId }, order: { channel_id: 'ASC' }, skip, take });
    if (members.length === 0) return [];
    const teams: { channel_id: string; display_name: string; name: string; update_at: string }[] = await this.dataSource.query(
      `SELECT c.id AS channel_id, t.display_name, t.name, t.update_at FROM channels c JOIN teams t ON t.id = c.team_id WHERE c.id = ANY($1)`,
      [members.map((m) => m.channel_id)],
    );
    const byChannel = new Map(teams.map((t) => [t.channel_id, t]));
    return members.map((member) => {
      const team = byChannel.get(member.channel_id);
      return {
        member,
        team_display_name: team?.display_name ?? '',
        team_name: team?.name ?? '',
        team_update_at: team ? Number(team.update_at) : 0,
      };
    });
  }

  /**
   * POST /channels/members/{id}/view: the channel (and the one the user leaves, `prev_channel_id`) read up to its
   * newest post. Answers the new last-viewed times. Clients without collapsed threads read the channels' threads too.
   */
  async view(caller: User, userId: string, view: ChannelView): Promise<Record<string, number>> {
    this.requireSelfOrAdmin(caller, userId);
    for (const [name, id] of [
      ['channel_id', view.channel_id],
      ['prev_channel_id', view.prev_channel_id],
    ] as const) {
      if (id !== '' && !isValidId(id)) throw AppError.invalidParam(name);
    }
    if (view.channel_id && !(await this.access.isMember(userId, view.channel_id))) throw AppError.forbidden('read_channel');
    const ids = [...new Set([view.channel_id, view.prev_channel_id].filter(Boolean))];
    if (ids.length === 0) return {};
    const now = Date.now();
    const times = await this.dataSource.transaction(async (tx) => {
      const viewed = await markViewed(tx, userId, ids, now);
      if (!view.collapsed_threads_supported) {
        await tx.query(
          `UPDATE thread_memberships tm SET last_viewed = $3, unread_mentions = 0, last_updated = $3
           FROM posts p WHERE p.id = tm.post_id AND p.channel_id = ANY($2) AND tm.user_id = $1`,
          [userId, Object.keys(viewed), now],
        );
      }
      return viewed;
    });
    if (Object.keys(times).length > 0) {
      // Current apps listen to the batch event; older ones (and the mobile client) to one event per channel.
      this.events.toUser(userId, MULTIPLE_CHANNELS_VIEWED, { channel_times: times });
      for (const channelId of Object.keys(times)) this.events.toUser(userId, CHANNEL_VIEWED, { channel_id: channelId });
      if (!view.collapsed_threads_supported) {
        for (const channelId of Object.keys(times))
          this.events.toUserAbout(userId, { channel_id: channelId }, THREAD_READ_CHANGED, { timestamp: now });
      }
    }
    return times;
  }

  /** GET /users/{id}/channels/{channel_id}/unread: Mattermost's ChannelUnread. */
  async unread(caller: User, userId: string, channelId: string): Promise<Record<string, unknown>> {
    this.requireSelfOrAdmin(caller, userId);
    const channel = await this.access.channelOrThrow(channelId);
    const member = await this.dataSource.getRepository(ChannelMember).findOneBy({ channel_id: channel.id, user_id: userId });
    if (!member) throw AppError.forbidden('read_channel');
    // "Mark unread: mentions only" channels show no unread messages, only mentions (as in Mattermost).
    const mentionsOnly = member.notify_props?.mark_unread === 'mention';
    return {
      team_id: channel.team_id,
      channel_id: channel.id,
      msg_count: mentionsOnly ? 0 : Math.max(0, channel.total_msg_count - member.msg_count),
      mention_count: member.mention_count,
      mention_count_root: member.mention_count_root,
      urgent_mention_count: member.urgent_mention_count,
      msg_count_root: mentionsOnly ? 0 : Math.max(0, channel.total_msg_count_root - member.msg_count_root),
      notify_props: member.notify_props,
    };
  }

  /** GET /channels/{id}/stats: Mattermost's ChannelStats, for those who may read the channel. */
  async stats(caller: User, channelId: string): Promise<Record<string, unknown>> {
    const channel = await this.access.requireRead(caller, channelId);
    const [row]: { members: string; guests: string; pinned: string; files: string }[] = await this.dataSource.query(
      `SELECT
         (SELECT count(*) FROM channel_members m JOIN users u ON u.id = m.user_id WHERE m.channel_id = $1 AND u.delete_at = 0) AS members,
         (SELECT count(*) FROM channel_members m JOIN users u ON u.id = m.user_id
            WHERE m.channel_id = $1 AND u.delete_at = 0 AND ' ' || u.roles || ' ' LIKE '% system_guest %') AS guests,
         (SELECT count(*) FROM posts WHERE channel_id = $1 AND is_pinned AND delete_at = 0) AS pinned,
         (SELECT count(*) FROM file_infos WHERE channel_id = $1 AND post_id <> '' AND delete_at = 0) AS files`,
      [channel.id],
    );
    return {
      channel_id: channel.id,
      member_count: Number(row.members),
      guest_count: Number(row.guests),
      pinnedpost_count: Number(row.pinned),
      files_count: Number(row.files),
    };
  }

  private requireSelfOrAdmin(caller: User, userId: string): void {
    if (userId !== caller.id && !hasPermission(caller.roles, Permission.EditOtherUsers))
      throw AppError.forbidden(Permission.EditOtherUsers);
  }
}

/**
 * Marks the user's memberships of `channelIds` read: message counts catch up with the channel's totals, mentions go
 * to zero, last_viewed_at to the newest post (never backwards). Channels the user is not in are left out of the answer.
 */
export async function markViewed(tx: EntityManager, userId: string, channelIds: string[], now: number): Promise<Record<string, number>> {
  const rows = await returning<{ channel_id: string; last_viewed_at: string }>(
    tx,
    `UPDATE channel_members m SET msg_count = GREATEST(m.msg_count, c.total_msg_count),
       msg_count_root = GREATEST(m.msg_count_root, c.total_msg_count_root),
       mention_count = 0, mention_count_root = 0, urgent_mention_count = 0,
       last_viewed_at = GREATEST(m.last_viewed_at, c.last_post_at), last_update_at = $3
     FROM channels c WHERE c.id = m.channel_id AND m.user_id = $1 AND m.channel_id = ANY($2)
     RETURNING m.channel_id, m.last_viewed_at`,
    [userId, channelIds, now],
  );
  return Object.fromEntries(rows.map((r) => [r.channel_id, Number(r.last_viewed_at)]));
}
