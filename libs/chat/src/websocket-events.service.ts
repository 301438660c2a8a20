import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Bus } from '@fedchat/common';
import { WebSocketEventPublished, WebSocketEventsPublished } from '@fedchat/contracts';
import { DataSource } from 'typeorm';

/** Mattermost websocket event names used by the chat core. */
export const WsEvent = {
  Posted: 'posted',
  PostEdited: 'post_edited',
  PostDeleted: 'post_deleted',
  ReactionAdded: 'reaction_added',
  ReactionRemoved: 'reaction_removed',
  PostAcknowledgementAdded: 'post_acknowledgement_added',
  PostAcknowledgementRemoved: 'post_acknowledgement_removed',
  ChannelCreated: 'channel_created',
  ChannelUpdated: 'channel_updated',
  ChannelDeleted: 'channel_deleted',
  ChannelRestored: 'channel_restored',
  DirectAdded: 'direct_added',
  GroupAdded: 'group_added',
  UserAdded: 'user_added',
  UserRemoved: 'user_removed',
  UserUpdated: 'user_updated',
  UserRoleUpdated: 'user_role_updated',
  MemberRoleUpdated: 'memberrole_updated',
  AddedToTeam: 'added_to_team',
  LeaveTeam: 'leave_team',
  StatusChange: 'status_change',
  Typing: 'typing',
  ChannelMemberUpdated: 'channel_member_updated',
  PreferencesChanged: 'preferences_changed',
  PreferencesDeleted: 'preferences_deleted',
  SidebarCategoryCreated: 'sidebar_category_created',
  SidebarCategoryUpdated: 'sidebar_category_updated',
  SidebarCategoryDeleted: 'sidebar_category_deleted',
  SidebarCategoryOrderUpdated: 'sidebar_category_order_updated',
  ChannelSchemeUpdated: 'channel_scheme_updated',
} as const;

/**
 * Publishes websocket events to every gateway process over the bus. Channel and team broadcasts are resolved to
 * member ids here, once, so receiving gateways only match ids against their open sockets.
 */
@Injectable()
export class WebSocketEvents {
  constructor(
    private readonly bus: Bus,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  toUser(userId: string, event: string, data: Record<string, unknown>): void {
    this.bus.emit(WebSocketEventPublished, { event, data, broadcast: { user_id: userId, user_ids: [userId] } });
  }

  /** One user's sockets, about a channel or team that Mattermost names in the broadcast (e.g. `thread_read_changed`). */
  toUserAbout(userId: string, about: { channel_id?: string; team_id?: string }, event: string, data: Record<string, unknown>): void {
    this.bus.emit(WebSocketEventPublished, { event, data, broadcast: { user_id: userId, ...about, user_ids: [userId] } });
  }

  /** The sockets of several users (e.g. the full copy of an event whose others get a sanitized one). */
  toUsers(userIds: string[], event: string, data: Record<string, unknown>): void {
    if (userIds.length === 0) return;
    this.bus.emit(WebSocketEventPublished, { event, data, broadcast: { user_ids: userIds } });
  }

  async toChannel(channelId: string, event: string, data: Record<string, unknown>, omitUsers: string[] = []): Promise<void> {
    await this.toChannelMany(channelId, [{ event, data }], omitUsers);
  }

  /** Several events to one channel's members, in order, resolving the members once. */
  async toChannelMany(
    channelId: string,
    events: { event: string; data: Record<string, unknown> }[],
    omitUsers: string[] = [],
  ): Promise<void> {
    if (events.length === 0) return;
    const rows: { user_id: string }[] = await this.dataSource.query('SELECT user_id FROM channel_members WHERE channel_id = $1', [
      channelId,
    ]);
    this.toChannelMembers(
      channelId,
      rows.map((r) => r.user_id),
      events,
      omitUsers,
    );
  }

  /** Events to one channel whose member ids the caller already read (e.g. in the statement that made the change). */
  toChannelMembers(
    channelId: string,
    memberIds: string[],
    events: { event: string; data: Record<string, unknown> }[],
    omitUsers: string[] = [],
  ): void {
    const broadcast = { channel_id: channelId, omit_users: omitUsers, user_ids: memberIds };
    if (events.length === 1) this.bus.emit(WebSocketEventPublished, { ...events[0], broadcast });
    else if (events.length > 1) this.bus.emit(WebSocketEventsPublished, { broadcast, events });
  }

  async toTeam(teamId: string, event: string, data: Record<string, unknown>): Promise<void> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM team_members WHERE team_id = $1 AND delete_at = 0',
      [teamId],
    );
    this.bus.emit(WebSocketEventPublished, { event, data, broadcast: { team_id: teamId, user_ids: rows.map((r) => r.user_id) } });
  }

  /** Everyone connected (e.g. status changes, as Mattermost broadcasts them), except `omitUsers`. */
  toAll(event: string, data: Record<string, unknown>, omitUsers: string[] = []): void {
    this.bus.emit(WebSocketEventPublished, { event, data, broadcast: omitUsers.length ? { omit_users: omitUsers } : {} });
  }
}
