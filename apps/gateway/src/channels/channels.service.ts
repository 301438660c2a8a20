import {
  CHANNEL_ADMIN_ROLES,
  CHANNEL_USER_ROLES,
  ChannelAccess,
  directChannelName,
  GROUP_MAX_USERS,
  GROUP_MIN_USERS,
  groupChannelName,
  groupDisplayName,
  hasPermission,
  isChannelAdminMember,
  joinChannel,
  leaveChannel,
  newChannelRow,
  notDirectlyConnectedError,
  originRemoteId,
  Permission,
  RoleCatalogue,
  stampMetadataChange,
  SystemPosts,
  toChannelJson,
  toChannelMemberJson,
  TOWN_SQUARE,
  WebSocketEvents,
  WsEvent,
} from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError, Bus, sharedDirectMessagesEnabled } from '@fedchat/common';
import { ChannelArchivedEvent, ChannelMembersChangedEvent, ShareDirectChannel, SharedChannelChangedEvent } from '@fedchat/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { isValidId } from '@fedchat/crypto';
import { Channel, ChannelMember, isUniqueViolation, Team, TeamMember, User } from '@fedchat/models';
import { DataSource, In, Repository } from 'typeorm';
import { userIdOrMe } from '../http/user-id-param';
import { requireMemberSchemeRoles, SchemeRolesBody } from '../roles/scheme-roles.dto';
import { isTeamAdminMember } from '../teams/team.mapper';
import type { AddChannelMemberBody, CreateChannelBody, PatchChannelBody, UpdateChannelBody } from './channels.dto';

/** Mattermost's channel name rule: 1-64 lowercase letters, digits, - or _. */
const CHANNEL_NAME = /^[a-z0-9_-]{1,64}$/;
const DISPLAY_NAME_MAX = 64;
const HEADER_MAX = 1024;
const PURPOSE_MAX = 250;

const CHANNEL_UNIQUE = 'uq_channels_team_name';
/** Mattermost answers a channel search with at most 100 channels. */
const SEARCH_LIMIT = 100;

function runes(s: string): number {
  return [...s].length;
}

function existsError(): AppError {
  return AppError.badRequest(
    'store.sql_channel.save_channel.exists.app_error',
    'A channel with that name already exists on the same team.',
  );
}

function byNameMissing(): AppError {
  return AppError.notFound('channel', 'app.channel.get_by_name.missing.app_error');
}

/** Channels: creation (team, direct, group), lookup, patch, archive, membership. Access checks go through ChannelAccess. */
@Injectable()
export class ChannelsService {
  constructor(
    @InjectRepository(Channel) private readonly channels: Repository<Channel>,
    @InjectRepository(ChannelMember) private readonly members: Repository<ChannelMember>,
    @InjectRepository(Team) private readonly teams: Repository<Team>,
    @InjectRepository(TeamMember) private readonly teamMembers: Repository<TeamMember>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: ChannelAccess,
    private readonly events: WebSocketEvents,
    private readonly systemPosts: SystemPosts,
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly catalogue: RoleCatalogue,
  ) {}

  /** A public or private team channel; the creator becomes its channel admin. Channel, member and history in one transaction. */
  async create(caller: User, body: CreateChannelBody): Promise<Channel> {
    if (!isValidId(body.team_id)) throw AppError.invalidParam('team_id');
    if (body.type === 'D' || body.type === 'G') {
      throw AppError.badRequest(
        'api.channel.create_channel.direct_channel.app_error',
        'Must use createDirectChannel or createGroupChannel for direct and group channels.',
      );
    }
    if (body.type !== 'O' && body.type !== 'P') throw AppError.badRequest('model.channel.is_valid.type.app_error', 'Invalid type.');
    validateName(body.name);
    validateDisplayName(body.display_name);
    validateHeaderPurpose(body);
    const createPermission = body.type === 'O' ? Permission.CreatePublicChannel : Permission.CreatePrivateChannel;
    if (!(await this.catalogue.hasTeamPermission(caller, body.team_id, createPermission))) throw AppError.forbidden(createPermission);
    if (!(await this.teams.existsBy({ id: body.team_id, delete_at: 0 }))) throw AppError.notFound('team', 'app.team.get.find.app_error');

    const now = Date.now();
    const channel = newChannelRow(
      {
        team_id: body.team_id,
        type: body.type,
        display_name: body.display_name,
        name: body.name,
        header: body.header ?? '',
        purpose: body.purpose ?? '',
        creator_id: caller.id,
      },
      now,
    );
    try {
      await this.dataSource.transaction(async (tx) => {
        await tx.getRepository(Channel).insert(channel);
        await joinChannel(tx, channel.id, caller.id, { admin: true, now });
      });
    } catch (err) {
      if (isUniqueViolation(err, CHANNEL_UNIQUE)) throw existsError();
      throw err;
    }
    this.events.toUser(caller.id, WsEvent.ChannelCreated, { channel_id: channel.id, team_id: channel.team_id });
    return this.channels.findOneByOrFail({ id: channel.id });
  }

  /**
   * The direct channel between two users (one of them the caller, unless a system admin asks), created on first use.
   * Asking again returns the same channel. A user may have a direct channel with themselves, as in Mattermost.
   */
  async createDirect(caller: User, body: unknown): Promise<Channel> {
    if (!Array.isArray(body) || body.length !== 2) throw AppError.invalidParam('user_ids');
    if (!body.every(isValidId)) throw AppError.invalidParam('user_id');
    const [a, b] = body as [string, string];
    if (a !== caller.id && b !== caller.id && !hasPermission(caller.roles, Permission.ManageSystem)) {
      throw AppError.forbidden(Permission.ManageSystem);
    }
    const ids = [...new Set([a, b])];
    const users = await this.users.findBy({ id: In(ids) });
    if (users.length !== ids.length) {
      throw AppError.badRequest('api.channel.create_direct_channel.invalid_user.app_error', 'Invalid user id for direct channel creation.');
    }
    const remote = this.checkRemoteMembers(users, 'D');
    const name = directChannelName(a, b);
    const channel = await this.createOrGetPersonal(caller, 'D', name, '', ids);
    if (channel.created) {
      const teammate = a === caller.id ? b : a;
      await this.events.toChannel(channel.channel.id, WsEvent.DirectAdded, { creator_id: caller.id, teammate_id: teammate });
    }
    return remote ? this.shareWithRemotes(caller, channel.channel) : channel.channel;
  }

  /**
   * The group channel of 3 to 8 users (the caller is added when missing), created on first use; named by the hash
   * of its member ids, so asking again for the same users returns the same channel.
   */
  async createGroup(caller: User, body: unknown): Promise<Channel> {
    if (!Array.isArray(body) || body.length > 1000 || !body.every(isValidId)) throw AppError.invalidParam('user_ids');
    const ids = [...new Set<string>([...(body as string[]), caller.id])].sort();
    if (ids.length < GROUP_MIN_USERS || ids.length > GROUP_MAX_USERS) {
      throw AppError.badRequest(
        'api.channel.create_group.bad_size.app_error',
        `Group message channels must contain between ${GROUP_MIN_USERS} and ${GROUP_MAX_USERS} users.`,
      );
    }
    const users = await this.users.findBy({ id: In(ids) });
    if (users.length !== ids.length) {
      throw AppError.badRequest('api.channel.create_group.bad_user.app_error', 'One of the provided users does not exist.');
    }
    const remote = this.checkRemoteMembers(users, 'G');
    const displayName = groupDisplayName(users.map((u) => u.username));
    const channel = await this.createOrGetPersonal(caller, 'G', groupChannelName(ids), displayName, ids);
    if (channel.created) {
      await this.events.toChannel(channel.channel.id, WsEvent.GroupAdded, { teammate_ids: JSON.stringify(ids) });
    }
    return remote ? this.shareWithRemotes(caller, channel.channel) : channel.channel;
  }

  async get(caller: User, channelId: string): Promise<Channel> {
    return this.access.requireRead(caller, channelId);
  }

  async getByName(caller: User, teamId: string, name: string, includeDeleted: boolean): Promise<Channel> {
    if (!isValidId(teamId)) throw AppError.invalidParam('team_id');
    return this.visibleByName(caller, await this.channels.findOneBy({ team_id: teamId, name: name.toLowerCase() }), includeDeleted);
  }

  async getByTeamAndChannelName(caller: User, teamName: string, name: string, includeDeleted: boolean): Promise<Channel> {
    const team = await this.teams.findOneBy({ name: teamName.toLowerCase() });
    if (!team) throw AppError.notFound('team', 'app.team.get_by_name.missing.app_error');
    return this.visibleByName(caller, await this.channels.findOneBy({ team_id: team.id, name: name.toLowerCase() }), includeDeleted);
  }

  /**
   * Partial update. Renaming needs channel admin, team admin or system admin; members may change the header and
   * purpose; direct and group channels only have a header to change.
   */
  /** Mattermost's `PUT /channels/{id}`: the patch of the fields given non-empty, for the channel named in the URL. */
  async update(caller: User, channelId: string, body: UpdateChannelBody): Promise<Channel> {
    if (body.id !== channelId) throw AppError.invalidParam('channel_id');
    const patch: PatchChannelBody = {};
    for (const key of ['name', 'display_name', 'header', 'purpose'] as const) if (body[key]) patch[key] = body[key];
    return this.patch(caller, channelId, patch);
  }

  async patch(caller: User, channelId: string, body: PatchChannelBody): Promise<Channel> {
    const channel = await this.access.requireRead(caller, channelId);
    if (channel.delete_at > 0) {
      throw AppError.badRequest('api.channel.update_channel.deleted.app_error', 'The channel has been archived or deleted.');
    }
    const renaming =
      (body.name !== undefined && body.name !== channel.name) ||
      (body.display_name !== undefined && body.display_name !== channel.display_name);
    if (channel.type === 'D' || channel.type === 'G') {
      if (body.name !== undefined || body.display_name !== undefined || body.purpose !== undefined) {
        throw AppError.badRequest(
          'api.channel.patch_update_channel.direct_or_group.app_error',
          'Only the header of a direct or group channel can be changed.',
        );
      }
      if (!(await this.access.isMember(caller.id, channel.id)) && !hasPermission(caller.roles, Permission.ManageSystem)) {
        throw AppError.forbidden('manage_channel_properties');
      }
    } else {
      const permission = channel.type === 'O' ? Permission.ManagePublicChannelProperties : Permission.ManagePrivateChannelProperties;
      // Renaming takes the role permission; any member may change the header and purpose (docs/permissions.md).
      const mayChange =
        (!renaming && (await this.access.isMember(caller.id, channel.id))) ||
        (await this.access.hasChannelPermission(caller, channel, permission));
      if (!mayChange) throw AppError.forbidden(permission);
      if (channel.name === TOWN_SQUARE && body.name !== undefined && body.name !== channel.name) {
        throw AppError.badRequest(
          'api.channel.update_channel.tried.app_error',
          `Tried to perform an invalid update of the default channel ${TOWN_SQUARE}.`,
        );
      }
    }
    if (body.name !== undefined) validateName(body.name);
    if (body.display_name !== undefined) validateDisplayName(body.display_name);
    validateHeaderPurpose(body);

    const changes: Partial<Channel> = { update_at: Date.now() };
    for (const key of ['name', 'display_name', 'header', 'purpose'] as const) {
      if (body[key] !== undefined) changes[key] = body[key];
    }
    let metadataChanged = false;
    let updated: Channel;
    try {
      updated = await this.dataSource.transaction(async (tx) => {
        await tx.getRepository(Channel).update({ id: channel.id }, changes);
        const after = await tx.getRepository(Channel).findOneByOrFail({ id: channel.id });
        // A shared channel homed here carries its new metadata to every remote (the change stamp is the durable record).
        if (after.shared) metadataChanged = await stampMetadataChange(tx, after.id, after);
        return after;
      });
    } catch (err) {
      if (isUniqueViolation(err, CHANNEL_UNIQUE)) throw existsError();
      throw err;
    }
    if (metadataChanged) this.bus.emit(SharedChannelChangedEvent, { channel_id: updated.id });
    await this.events.toChannel(updated.id, WsEvent.ChannelUpdated, { channel: JSON.stringify(toChannelJson(updated)) });
    return updated;
  }

  /** Archives (soft-deletes) a team channel; members stay, the channel becomes read-only. Town Square cannot be archived. */
  async archive(caller: User, channelId: string): Promise<void> {
    const channel = await this.access.requireRead(caller, channelId);
    if (channel.type === 'D' || channel.type === 'G') {
      throw AppError.badRequest('api.channel.delete_channel.type.invalid', 'Direct and group channels cannot be archived.');
    }
    if (channel.name === TOWN_SQUARE) {
      throw AppError.badRequest('api.channel.delete_channel.cannot.app_error', `Unable to delete the default channel ${TOWN_SQUARE}.`);
    }
    const deletePermission = channel.type === 'O' ? Permission.DeletePublicChannel : Permission.DeletePrivateChannel;
    if (!(await this.access.hasChannelPermission(caller, channel, deletePermission))) throw AppError.forbidden(deletePermission);
    if (channel.delete_at > 0) {
      throw AppError.badRequest('api.channel.delete_channel.deleted.app_error', 'The channel has been archived or deleted.');
    }
    const now = Date.now();
    await this.channels.update({ id: channel.id, delete_at: 0 }, { delete_at: now, update_at: now });
    const data = { channel_id: channel.id, delete_at: now };
    if (channel.type === 'O') await this.events.toTeam(channel.team_id, WsEvent.ChannelDeleted, data);
    else await this.events.toChannel(channel.id, WsEvent.ChannelDeleted, data);
    // Archiving a shared channel on its home ends the share on every remote (the sharing lifecycle decides).
    if (channel.shared) this.bus.emit(ChannelArchivedEvent, { channel_id: channel.id });
  }

  /**
   * Adds users to a team channel. Anyone in the team may join a public channel; adding others takes a member of the
   * channel (or a team or system admin). Targets must belong to the channel's team. Existing members are returned as they are.
   */
  async addMembers(caller: User, channelId: string, body: AddChannelMemberBody): Promise<ChannelMember[]> {
    const requested = body.user_ids ?? (body.user_id !== undefined ? [body.user_id] : []);
    if (requested.length === 0) throw AppError.invalidParam('user_id');
    const userIds = [...new Set(requested.map((id) => userIdOrMe(caller, id)))];
    const channel = await this.access.requireRead(caller, channelId);
    if (channel.type === 'D' || channel.type === 'G') {
      throw AppError.badRequest('api.channel.add_user_to_channel.type.app_error', 'Can not add user to this channel type.');
    }
    if (channel.delete_at > 0) {
      throw AppError.badRequest(
        'api.channel.add_user.to.channel.failed.deleted.app_error',
        'Failed to add user to channel because it has been archived.',
      );
    }
    const joiningSelf =
      userIds.length === 1 &&
      userIds[0] === caller.id &&
      channel.type === 'O' &&
      (await this.access.hasChannelPermission(caller, channel, Permission.JoinPublicChannels));
    const membersPermission = channel.type === 'O' ? Permission.ManagePublicChannelMembers : Permission.ManagePrivateChannelMembers;
    if (!joiningSelf && !(await this.access.hasChannelPermission(caller, channel, membersPermission))) {
      throw AppError.forbidden(membersPermission);
    }
    if ((await this.users.countBy({ id: In(userIds) })) !== userIds.length) {
      throw AppError.notFound('user', 'app.user.missing_account.const');
    }
    const inTeam = await this.teamMembers.countBy({ team_id: channel.team_id, user_id: In(userIds), delete_at: 0 });
    if (inTeam !== userIds.length) {
      throw new AppError('app.team.get_member.missing.app_error', "A user to add is not a member of the channel's team.", 404);
    }

    const now = Date.now();
    const results = await this.dataSource.transaction(async (tx) => {
      const out: { member: ChannelMember; created: boolean }[] = [];
      for (const userId of userIds) out.push(await joinChannel(tx, channel.id, userId, { admin: false, now }));
      return out;
    });
    const added = results.filter((r) => r.created).map((r) => r.member.user_id);
    const addedUsers = added.length ? await this.users.findBy({ id: In(added) }) : [];
    for (const userId of added) {
      await this.events.toChannel(channel.id, WsEvent.UserAdded, { user_id: userId, team_id: channel.team_id });
      const target = addedUsers.find((u) => u.id === userId);
      if (!target) continue;
      await this.systemPosts.membershipNotice(channel.id, userId === caller.id ? 'join' : 'add', caller, target);
    }
    if (channel.shared && results.some((r) => r.created)) this.bus.emit(ChannelMembersChangedEvent, { channel_id: channel.id });
    return results.map((r) => r.member);
  }

  /** Removes a member (self: leaving). Removing others takes a channel, team or system admin. Not for D/G or Town Square. */
  async removeMember(caller: User, channelId: string, userId: string): Promise<void> {
    const channel = await this.access.requireRead(caller, channelId);
    if (channel.type === 'D' || channel.type === 'G') {
      throw AppError.badRequest(
        'api.channel.remove_channel_member.type.app_error',
        'Unable to remove user from a direct or group channel.',
      );
    }
    if (channel.name === TOWN_SQUARE) {
      throw AppError.badRequest('api.channel.remove.default.app_error', `Unable to remove user from the default channel ${TOWN_SQUARE}.`);
    }
    // Removing someone else takes the permission through an admin role (channel, team or system admin): the
    // suite's finer line than Mattermost's, which lets any member remove others (docs/permissions.md).
    const membersPermission = channel.type === 'O' ? Permission.ManagePublicChannelMembers : Permission.ManagePrivateChannelMembers;
    if (userId !== caller.id && !(await this.access.hasChannelPermission(caller, channel, membersPermission, true))) {
      throw AppError.forbidden(membersPermission);
    }
    const now = Date.now();
    const removed = await this.dataSource.transaction((tx) => leaveChannel(tx, channel.id, userId, now));
    if (!removed) throw AppError.notFound('channel member', 'app.channel.get_member.missing.app_error');
    const data = { user_id: userId, remover_id: caller.id, channel_id: channel.id };
    await this.events.toChannel(channel.id, WsEvent.UserRemoved, data);
    this.events.toUser(userId, WsEvent.UserRemoved, data);
    const target = userId === caller.id ? caller : await this.users.findOneBy({ id: userId });
    if (target) await this.systemPosts.membershipNotice(channel.id, userId === caller.id ? 'leave' : 'remove', caller, target);
    if (channel.shared) this.bus.emit(ChannelMembersChangedEvent, { channel_id: channel.id });
  }

  async listMembers(caller: User, channelId: string, skip: number, take: number): Promise<ChannelMember[]> {
    const channel = await this.access.requireRead(caller, channelId);
    return this.members.find({ where: { channel_id: channel.id }, order: { user_id: 'ASC' }, skip, take });
  }

  async getMember(caller: User, channelId: string, userId: string): Promise<ChannelMember> {
    const channel = await this.access.requireRead(caller, channelId);
    const member = await this.members.findOneBy({ channel_id: channel.id, user_id: userId });
    if (!member) throw AppError.notFound('channel member', 'app.channel.get_member.missing.app_error');
    return member;
  }

  /** The user's channels in a team plus their direct and group channels (Client4.getMyChannels). */
  async channelsForUserInTeam(caller: User, userId: string, teamId: string, includeDeleted: boolean): Promise<Channel[]> {
    this.requireSelfOrAdmin(caller, userId);
    if (!isValidId(teamId)) throw AppError.invalidParam('team_id');
    if (!(await this.catalogue.hasTeamPermission(caller, teamId, Permission.ViewTeam))) throw AppError.forbidden(Permission.ViewTeam);
    return this.userChannels(userId, includeDeleted, teamId);
  }

  /** Every channel the user belongs to, in all teams, plus direct and group channels. */
  async channelsForUser(caller: User, userId: string, includeDeleted: boolean): Promise<Channel[]> {
    this.requireSelfOrAdmin(caller, userId);
    return this.userChannels(userId, includeDeleted);
  }

  /** Public, unarchived channels of a team, for its members. */
  /** Mattermost's `POST /teams/{id}/channels/search`: the team's public, unarchived channels whose name starts with the term. */
  async searchPublicChannels(caller: User, teamId: string, term: string): Promise<Channel[]> {
    await this.requireListTeamChannels(caller, teamId);
    const like = `${term
      .trim()
      .toLowerCase()
      .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.channels
      .createQueryBuilder('c')
      .where("c.team_id = :teamId AND c.type = 'O' AND c.delete_at = 0", { teamId })
      .andWhere('(c.name LIKE :like OR lower(c.display_name) LIKE :like)', { like })
      .orderBy('c.display_name', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .take(SEARCH_LIMIT)
      .getMany();
  }

  private async requireListTeamChannels(caller: User, teamId: string): Promise<void> {
    if (!isValidId(teamId)) throw AppError.invalidParam('team_id');
    if (!(await this.catalogue.hasTeamPermission(caller, teamId, Permission.ListTeamChannels))) {
      throw AppError.forbidden(Permission.ListTeamChannels);
    }
    if (!(await this.teams.existsBy({ id: teamId }))) throw AppError.notFound('team', 'app.team.get.find.app_error');
  }

  async publicChannels(caller: User, teamId: string, skip: number, take: number): Promise<Channel[]> {
    await this.requireListTeamChannels(caller, teamId);
    return this.channels.find({
      where: { team_id: teamId, type: 'O', delete_at: 0 },
      order: { display_name: 'ASC', id: 'ASC' },
      skip,
      take,
    });
  }

  /** The caller holds manage_system (checked by the route), which sees every channel of every team. */
  async privateChannels(teamId: string, skip: number, take: number): Promise<Channel[]> {
    if (!isValidId(teamId)) throw AppError.invalidParam('team_id');
    if (!(await this.teams.existsBy({ id: teamId }))) throw AppError.notFound('team', 'app.team.get.find.app_error');
    return this.channels.find({
      where: { team_id: teamId, type: 'P', delete_at: 0 },
      order: { display_name: 'ASC', id: 'ASC' },
      skip,
      take,
    });
  }

  /**
   * Mattermost's `PUT /channels/{id}/members/{user_id}/schemes`: makes a member a channel admin or a plain member.
   * Channel admins, the team's admins and system admins may (Mattermost's manage_channel_roles); direct and group
   * channels have no admins. The explicit roles are rewritten to match, so a demoted creator is no longer admin.
   */
  async updateMemberSchemeRoles(caller: User, channelId: string, userId: string, body: SchemeRolesBody): Promise<ChannelMember> {
    requireMemberSchemeRoles(body);
    const channel = await this.access.requireRead(caller, channelId);
    if (channel.type === 'D' || channel.type === 'G') {
      throw AppError.badRequest(
        'api.channel.update_channel_member_roles.direct.app_error',
        'Direct and group messages have no channel admins.',
      );
    }
    if (!(await this.canManage(caller, channel))) throw AppError.forbidden('manage_channel_roles');
    const result = await this.members.update(
      { channel_id: channel.id, user_id: userId },
      { scheme_admin: body.scheme_admin, scheme_user: true, roles: body.scheme_admin ? CHANNEL_ADMIN_ROLES : CHANNEL_USER_ROLES },
    );
    if (!result.affected) throw AppError.notFound('channel member', 'app.channel.get_member.missing.app_error');
    const member = await this.members.findOneByOrFail({ channel_id: channel.id, user_id: userId });
    this.events.toUser(userId, WsEvent.ChannelMemberUpdated, { channelMember: JSON.stringify(toChannelMemberJson(member)) });
    return member;
  }

  /**
   * Channel admins, admins of the channel's team, and system admins: who may change members' admin flags
   * (Mattermost's manage_channel_roles, which the catalogue does not list, so the admin flags decide).
   */
  async canManage(caller: User, channel: Channel): Promise<boolean> {
    if (hasPermission(caller.roles, Permission.ManageSystem)) return true;
    if (isChannelAdminMember(await this.members.findOneBy({ channel_id: channel.id, user_id: caller.id }))) return true;
    if (!channel.team_id) return false;
    return isTeamAdminMember(await this.teamMembers.findOneBy({ team_id: channel.team_id, user_id: caller.id }));
  }

  /**
   * Whether a new direct or group channel has remote members; refused (as Mattermost does) unless the
   * EnableSharedChannelsDMs feature flag (and shared channels) is on, and refused for a member relayed here by
   * another workspace.
   */
  private checkRemoteMembers(users: User[], type: 'D' | 'G'): boolean {
    if (!users.some((u) => u.remote_id)) return false;
    if (sharedDirectMessagesEnabled(this.config)) {
      const relayed = users.find((u) => u.remote_id && originRemoteId(u) !== u.remote_id);
      if (relayed) throw notDirectlyConnectedError(relayed.username);
      return true;
    }
    throw type === 'D'
      ? new AppError(
          'api.channel.create_channel.direct_channel.remote_restricted.app_error',
          'Direct messages with users of connected workspaces are disabled.',
          403,
        )
      : new AppError(
          'api.channel.create_group.remote_restricted.app_error',
          'Group messages with users of connected workspaces are disabled.',
          403,
        );
  }

  /**
   * A direct or group channel with remote members is shared with their connections (the sharing lifecycle records
   * the invitations and retries them while a connection is offline). Only channels this cluster created: one that
   * arrived from a peer is already shared. Asking again changes nothing.
   */
  private async shareWithRemotes(caller: User, channel: Channel): Promise<Channel> {
    if (channel.shared) return channel;
    await this.bus.request(ShareDirectChannel, { actor_id: caller.id, channel_id: channel.id });
    return this.channels.findOneByOrFail({ id: channel.id });
  }

  private async createOrGetPersonal(
    caller: User,
    type: 'D' | 'G',
    name: string,
    displayName: string,
    userIds: string[],
  ): Promise<{ channel: Channel; created: boolean }> {
    const existing = await this.channels.findOneBy({ team_id: '', name });
    if (existing) return { channel: existing, created: false };
    const now = Date.now();
    const channel = newChannelRow({ team_id: '', type, display_name: displayName, name, creator_id: caller.id }, now);
    try {
      await this.dataSource.transaction(async (tx) => {
        await tx.getRepository(Channel).insert(channel);
        for (const userId of userIds) await joinChannel(tx, channel.id, userId, { admin: false, now });
      });
    } catch (err) {
      // Someone created the same channel concurrently: theirs is the one.
      if (isUniqueViolation(err, CHANNEL_UNIQUE)) {
        return { channel: await this.channels.findOneByOrFail({ team_id: '', name }), created: false };
      }
      throw err;
    }
    return { channel: await this.channels.findOneByOrFail({ id: channel.id }), created: true };
  }

  private async visibleByName(caller: User, channel: Channel | null, includeDeleted: boolean): Promise<Channel> {
    if (!channel || (channel.delete_at > 0 && !includeDeleted)) throw byNameMissing();
    if (!(await this.access.canRead(caller, channel))) {
      if (channel.type === 'O') throw AppError.forbidden('read_channel');
      throw byNameMissing();
    }
    return channel;
  }

  private userChannels(userId: string, includeDeleted: boolean, teamId?: string): Promise<Channel[]> {
    const qb = this.channels
      .createQueryBuilder('c')
      .innerJoin(ChannelMember, 'cm', 'cm.channel_id = c.id AND cm.user_id = :userId', { userId });
    if (teamId !== undefined) qb.where("(c.team_id = :teamId OR c.team_id = '')", { teamId });
    if (!includeDeleted) qb.andWhere('c.delete_at = 0');
    return qb.orderBy('c.display_name', 'ASC').addOrderBy('c.id', 'ASC').getMany();
  }

  private requireSelfOrAdmin(caller: User, userId: string): void {
    if (userId !== caller.id && !hasPermission(caller.roles, Permission.EditOtherUsers))
      throw AppError.forbidden(Permission.EditOtherUsers);
  }
}

function validateName(name: string): void {
  if (!CHANNEL_NAME.test(name)) {
    throw AppError.badRequest(
      'model.channel.is_valid.2_or_more.app_error',
      'Name must be 1 to 64 characters: lowercase letters, digits, - or _.',
    );
  }
}

function validateDisplayName(displayName: string): void {
  if (runes(displayName.trim()) === 0 || runes(displayName) > DISPLAY_NAME_MAX) {
    throw AppError.badRequest('model.channel.is_valid.display_name.app_error', `Display name must be 1 to ${DISPLAY_NAME_MAX} characters.`);
  }
}

function validateHeaderPurpose(body: { header?: string; purpose?: string }): void {
  if (body.header !== undefined && runes(body.header) > HEADER_MAX) {
    throw AppError.badRequest('model.channel.is_valid.header.app_error', `Header must be at most ${HEADER_MAX} characters.`);
  }
  if (body.purpose !== undefined && runes(body.purpose) > PURPOSE_MAX) {
    throw AppError.badRequest('model.channel.is_valid.purpose.app_error', `Purpose must be at most ${PURPOSE_MAX} characters.`);
  }
}
