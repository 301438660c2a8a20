import { Injectable } from '@nestjs/common';
import {
  DEFAULT_CHANNELS,
  hasPermission,
  isSystemAdmin,
  joinChannel,
  leaveChannel,
  newChannelRow,
  Permission,
  RoleCatalogue,
  WebSocketEvents,
  WsEvent,
} from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { isValidId, newId } from '@fedchat/crypto';
import { Channel, ChannelMember, isUniqueViolation, Team, TeamMember, User } from '@fedchat/models';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { userIdOrMe } from '../http/user-id-param';
import { requireMemberSchemeRoles, SchemeRolesBody } from '../roles/scheme-roles.dto';
import { isTeamAdminMember, toTeamJson, toTeamMemberJson } from './team.mapper';
import type { AddTeamMemberBody, CreateTeamBody } from './teams.dto';

/** Mattermost's `TeamUnread`. */
export interface TeamUnread {
  team_id: string;
  msg_count: number;
  mention_count: number;
  msg_count_root: number;
  mention_count_root: number;
  thread_count: number;
  thread_mention_count: number;
  thread_urgent_mention_count: number;
}

/** Mattermost's team name rule (as enforced by its clients): a lowercase letter, then lowercase letters, digits, - or _. */
const TEAM_NAME = /^[a-z][a-z0-9_-]{1,63}$/;

/** Mattermost rejects team names that START with any of these (they would shadow web app routes). */
const RESERVED_TEAM_NAME_PREFIXES = [
  'admin',
  'api',
  'channel',
  'claim',
  'error',
  'files',
  'help',
  'landing',
  'login',
  'mfa',
  'oauth',
  'plug',
  'plugins',
  'post',
  'signup',
  'boards',
  'playbooks',
];

const TEAM_USER_ROLES = 'team_user';
const TEAM_ADMIN_ROLES = 'team_user team_admin';

function runes(s: string): number {
  return [...s].length;
}

@Injectable()
export class TeamsService {
  constructor(
    @InjectRepository(Team) private readonly teams: Repository<Team>,
    @InjectRepository(TeamMember) private readonly members: Repository<TeamMember>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: WebSocketEvents,
    private readonly catalogue: RoleCatalogue,
  ) {}

  /**
   * Creates a team with its default channels (town-square, off-topic); the creator becomes team admin and joins
   * both channels. All rows are written in one transaction.
   */
  async create(caller: User, body: CreateTeamBody): Promise<Team> {
    validateTeam(body);
    const now = Date.now();
    const team: Team = {
      id: newId(),
      create_at: now,
      update_at: now,
      delete_at: 0,
      display_name: body.display_name,
      name: body.name,
      description: body.description ?? '',
      email: caller.email,
      type: body.type,
      company_name: body.company_name ?? '',
      allowed_domains: body.allowed_domains ?? '',
      invite_id: newId(),
      allow_open_invite: body.allow_open_invite ?? body.type === 'O',
      scheme_id: '',
    };
    try {
      await this.dataSource.transaction(async (tx) => {
        await tx.getRepository(Team).insert(team);
        for (const def of DEFAULT_CHANNELS) {
          const channel = newChannelRow(
            { team_id: team.id, type: 'O', display_name: def.display_name, name: def.name, creator_id: '' },
            now,
          );

          await tx.getRepository(Channel).insert(channel);
        }
        await this.joinTeam(tx, team.id, caller.id, TEAM_ADMIN_ROLES, now);
      });
    } catch (err) {
      if (isUniqueViolation(err, 'uq_teams_name')) {
        throw AppError.badRequest('store.sql_team.save_team.existing.app_error', 'A team with that name already exists.');
      }
      throw err;
    }
    this.events.toUser(caller.id, WsEvent.AddedToTeam, { team_id: team.id, user_id: caller.id });
    return this.teams.findOneByOrFail({ id: team.id });
  }

  /** The team, if the caller may see it: members, system admins, and anyone for open teams. */
  async get(caller: User, teamId: string): Promise<Team> {
    const team = await this.teamOrThrow(teamId);
    await this.requireView(caller, team);
    return team;
  }

  async getByName(caller: User, name: string): Promise<Team> {
    const team = await this.teams.findOneBy({ name: name.toLowerCase() });
    if (!team) throw AppError.notFound('team', 'app.team.get_by_name.missing.app_error');
    await this.requireView(caller, team);
    return team;
  }

  /**
   * Mattermost's `GET /teams`: the teams the caller may list. System admins (list_private_teams) list every team;
   * everyone else the open ones (type 'O' and open to invites), member or not. Ordered by display name.
   */
  async listVisible(caller: User, skip: number, take: number, term?: string): Promise<{ teams: Team[]; total: number }> {
    const qb = this.teams.createQueryBuilder('t').where('t.delete_at = 0');
    if (!isSystemAdmin(caller.roles)) qb.andWhere("t.type = 'O' AND t.allow_open_invite");
    if (term !== undefined && term.trim() !== '') {
      const like = `${term
        .trim()
        .toLowerCase()
        .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.andWhere('(t.name LIKE :like OR lower(t.display_name) LIKE :like)', { like });
    }
    const [teams, total] = await qb.orderBy('t.display_name', 'ASC').addOrderBy('t.id', 'ASC').skip(skip).take(take).getManyAndCount();
    return { teams, total };
  }

  /**
   * Mattermost's `GET /users/{id}/teams/unread`: per team of the user (but `excludeTeamId`), the unread messages and
   * mentions summed over the user's channels of that team; channels muted to mentions only (`mark_unread: mention`)
   * add their mentions but not their messages, as in Mattermost.
   */
  async unreadsForUser(caller: User, userId: string, excludeTeamId: string): Promise<TeamUnread[]> {
    this.requireSelfOr(caller, userId, Permission.EditOtherUsers);
    if (excludeTeamId !== '' && !isValidId(excludeTeamId)) throw AppError.invalidParam('exclude_team');
    const rows: Array<{ team_id: string; msg_count: number; mention_count: number }> = await this.dataSource.query(
      `SELECT c.team_id,
              COALESCE(SUM(CASE WHEN cm.notify_props->>'mark_unread' = 'mention' THEN 0
                                ELSE GREATEST(c.total_msg_count - cm.msg_count, 0) END), 0)::bigint AS msg_count,
              COALESCE(SUM(cm.mention_count), 0)::bigint AS mention_count
         FROM team_members tm
         JOIN channels c ON c.team_id = tm.team_id AND c.delete_at = 0
         JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = tm.user_id
        WHERE tm.user_id = $1 AND tm.delete_at = 0 AND tm.team_id <> $2
        GROUP BY c.team_id
        ORDER BY c.team_id`,
      [userId, excludeTeamId],
    );
    return rows.map((r) => ({
      team_id: r.team_id,
      msg_count: Number(r.msg_count),
      mention_count: Number(r.mention_count),
      // Root-only counters are not kept per member yet: the totals stand for them (a reply counts as a message).
      msg_count_root: Number(r.msg_count),
      mention_count_root: Number(r.mention_count),
      thread_count: 0,
      thread_mention_count: 0,
      thread_urgent_mention_count: 0,
    }));
  }

  /** Team JSON for the caller: email and invite id only for those who manage the team. */
  async toJsonFor(caller: User, teams: Team[]): Promise<Record<string, unknown>[]> {
    if (teams.length === 0) return [];
    const managesAll = hasPermission(caller.roles, Permission.ManageTeam);
    const mine = managesAll ? [] : await this.members.findBy({ user_id: caller.id, team_id: In(teams.map((t) => t.id)) });
    const admin = new Set(mine.filter(isTeamAdminMember).map((m) => m.team_id));
    return teams.map((t) => toTeamJson(t, !managesAll && !admin.has(t.id)));
  }

  /** Teams the user belongs to; self, or a caller who may read other users' teams. */
  async teamsForUser(caller: User, userId: string): Promise<Team[]> {
    this.requireSelfOr(caller, userId, Permission.ReadOtherUsersTeams);
    return this.teams
      .createQueryBuilder('t')
      .innerJoin(TeamMember, 'tm', 'tm.team_id = t.id AND tm.user_id = :userId AND tm.delete_at = 0', { userId })
      .where('t.delete_at = 0')
      .orderBy('t.display_name', 'ASC')
      .addOrderBy('t.id', 'ASC')
      .getMany();
  }

  async membershipsForUser(caller: User, userId: string): Promise<TeamMember[]> {
    this.requireSelfOr(caller, userId, Permission.ReadOtherUsersTeams);
    return this.members
      .createQueryBuilder('tm')
      .innerJoin(Team, 't', 't.id = tm.team_id AND t.delete_at = 0')
      .where('tm.user_id = :userId AND tm.delete_at = 0', { userId })
      .orderBy('tm.team_id', 'ASC')
      .getMany();
  }

  /**
   * Adds a user to a team (and its default channels). Team admins and system admins add anyone; a user may add
   * themselves to an open team. Re-adding an active member returns the membership unchanged.
   */
  async addMember(caller: User, teamId: string, body: AddTeamMemberBody): Promise<TeamMember> {
    const team = await this.teamOrThrow(teamId);
    if (body.team_id !== undefined && body.team_id !== team.id) throw AppError.invalidParam('team_id');
    const userId = userIdOrMe(caller, body.user_id);
    const joiningOpenTeam = userId === caller.id && team.type === 'O' && hasPermission(caller.roles, Permission.JoinPublicTeams);
    if (!joiningOpenTeam && !(await this.catalogue.hasTeamPermission(caller, team.id, Permission.AddUserToTeam))) {
      throw AppError.forbidden(Permission.AddUserToTeam);
    }
    const user = await this.users.findOneBy({ id: userId });
    if (!user) throw AppError.notFound('user', 'app.user.missing_account.const');
    if (user.delete_at > 0) {
      throw AppError.badRequest('api.team.add_user_to_team.deactivated.app_error', 'A deactivated user cannot join a team.');
    }

    const now = Date.now();
    let joinedChannels: string[] = [];
    let added = false;
    const member = await this.dataSource.transaction(async (tx) => {
      const existing = await tx
        .getRepository(TeamMember)
        .createQueryBuilder('tm')
        .setLock('pessimistic_write')
        .where('tm.team_id = :teamId AND tm.user_id = :userId', { teamId: team.id, userId })
        .getOne();
      if (existing && existing.delete_at === 0) return existing;
      added = true;
      joinedChannels = await this.joinTeam(tx, team.id, userId, TEAM_USER_ROLES, now);
      return tx.getRepository(TeamMember).findOneByOrFail({ team_id: team.id, user_id: userId });
    });
    if (added) {
      this.events.toUser(userId, WsEvent.AddedToTeam, { team_id: team.id, user_id: userId });
      for (const channelId of joinedChannels) {
        await this.events.toChannel(channelId, WsEvent.UserAdded, { user_id: userId, team_id: team.id });
      }
    }
    return member;
  }

  /**
   * Removes a user from a team: the membership is soft-deleted (delete_at) and the user leaves every channel of the
   * team, closing the history periods. Self, team admins and system admins may do this.
   */
  async removeMember(caller: User, teamId: string, userId: string): Promise<void> {
    const team = await this.teamOrThrow(teamId);
    if (userId !== caller.id && !(await this.catalogue.hasTeamPermission(caller, team.id, Permission.RemoveUserFromTeam))) {
      throw AppError.forbidden(Permission.RemoveUserFromTeam);
    }
    const now = Date.now();
    const left = await this.dataSource.transaction(async (tx) => {
      const result = await tx.getRepository(TeamMember).update({ team_id: team.id, user_id: userId, delete_at: 0 }, { delete_at: now });
      if (!result.affected) throw AppError.notFound('team member', 'app.team.get_member.missing.app_error');
      const memberships = await tx
        .getRepository(ChannelMember)
        .createQueryBuilder('cm')
        .innerJoin(Channel, 'c', 'c.id = cm.channel_id AND c.team_id = :teamId', { teamId: team.id })
        .where('cm.user_id = :userId', { userId })
        .getMany();
      const channelIds: string[] = [];
      for (const m of memberships) {
        if (await leaveChannel(tx, m.channel_id, userId, now)) channelIds.push(m.channel_id);
      }
      return channelIds;
    });
    for (const channelId of left) {
      await this.events.toChannel(channelId, WsEvent.UserRemoved, { user_id: userId, remover_id: caller.id, channel_id: channelId });
    }
    await this.events.toTeam(team.id, WsEvent.LeaveTeam, { team_id: team.id, user_id: userId });
    this.events.toUser(userId, WsEvent.LeaveTeam, { team_id: team.id, user_id: userId });
  }

  /** Active members of a team, for its members and system admins. */
  async listMembers(caller: User, teamId: string, skip: number, take: number): Promise<TeamMember[]> {
    const team = await this.teamOrThrow(teamId);
    await this.requireMemberOrAdmin(caller, team.id);
    return this.members.find({ where: { team_id: team.id, delete_at: 0 }, order: { user_id: 'ASC' }, skip, take });
  }

  /** One membership (also a past one, with delete_at > 0, as Mattermost returns it). */
  async getMember(caller: User, teamId: string, userId: string): Promise<TeamMember> {
    const team = await this.teamOrThrow(teamId);
    await this.requireMemberOrAdmin(caller, team.id);
    const member = await this.members.findOneBy({ team_id: team.id, user_id: userId });
    if (!member) throw AppError.notFound('team member', 'app.team.get_member.missing.app_error');
    return member;
  }

  /**
   * Mattermost's `PUT /teams/{id}/members/{user_id}/schemes`: makes an active member a team admin or a plain member.
   * Team admins of the team and system admins may (Mattermost's manage_team_roles). The explicit roles are rewritten to
   * match, so that a demoted creator no longer counts as admin through them.
   */
  async updateMemberSchemeRoles(caller: User, teamId: string, userId: string, body: SchemeRolesBody): Promise<TeamMember> {
    requireMemberSchemeRoles(body);
    const team = await this.teamOrThrow(teamId);
    if (!(await this.canManage(caller, team.id))) throw AppError.forbidden('manage_team_roles');
    const result = await this.members.update(
      { team_id: team.id, user_id: userId, delete_at: 0 },
      { scheme_admin: body.scheme_admin, scheme_user: true, roles: body.scheme_admin ? TEAM_ADMIN_ROLES : TEAM_USER_ROLES },
    );
    if (!result.affected) throw AppError.notFound('team member', 'app.team.get_member.missing.app_error');
    const member = await this.members.findOneByOrFail({ team_id: team.id, user_id: userId });
    this.events.toUser(userId, WsEvent.MemberRoleUpdated, { member: JSON.stringify(toTeamMemberJson(member)) });
    return member;
  }

  /**
   * Team admins of this team, and system admins (manage_team): who may change members' admin flags (Mattermost's
   * manage_team_roles, which the catalogue does not list, so the admin flags decide).
   */
  async canManage(caller: User, teamId: string): Promise<boolean> {
    if (hasPermission(caller.roles, Permission.ManageTeam)) return true;
    return isTeamAdminMember(await this.members.findOneBy({ team_id: teamId, user_id: caller.id }));
  }

  async teamOrThrow(teamId: string): Promise<Team> {
    if (!isValidId(teamId)) throw AppError.invalidParam('team_id');
    const team = await this.teams.findOneBy({ id: teamId });
    if (!team) throw AppError.notFound('team', 'app.team.get.find.app_error');
    return team;
  }

  /**
   * Writes (or revives) the team membership and joins the team's default channels, inside `tx`.
   * Returns the ids of the channels newly joined.
   */
  private async joinTeam(tx: EntityManager, teamId: string, userId: string, roles: string, now: number): Promise<string[]> {
    const admin = roles === TEAM_ADMIN_ROLES;
    await tx.query(
      `INSERT INTO team_members (team_id, user_id, roles, delete_at, scheme_user, scheme_admin, create_at)
       VALUES ($1, $2, $3, 0, true, $4, $5)
       ON CONFLICT (team_id, user_id) DO UPDATE SET roles = EXCLUDED.roles, delete_at = 0, scheme_user = true,
         scheme_admin = EXCLUDED.scheme_admin, create_at = EXCLUDED.create_at`,
      [teamId, userId, roles, admin, now],
    );
    const defaults = await tx.getRepository(Channel).findBy({
      team_id: teamId,
      name: In(DEFAULT_CHANNELS.map((c) => c.name)),
      delete_at: 0,
    });
    const joined: string[] = [];
    for (const channel of defaults) {
      const { created } = await joinChannel(tx, channel.id, userId, { admin: false, now });
      if (created) joined.push(channel.id);
    }
    return joined;
  }

  private async requireView(caller: User, team: Team): Promise<void> {
    if (team.type === 'O') return;
    await this.requireMemberOrAdmin(caller, team.id);
  }

  /** view_team: the team's members (team_user) and system admins, as their roles say. */
  private async requireMemberOrAdmin(caller: User, teamId: string): Promise<void> {
    if (await this.catalogue.hasTeamPermission(caller, teamId, Permission.ViewTeam)) return;
    throw AppError.forbidden(Permission.ViewTeam);
  }

  private requireSelfOr(caller: User, userId: string, permission: Permission): void {
    if (userId !== caller.id && !hasPermission(caller.roles, permission)) throw AppError.forbidden(permission);
  }
}

/** Mattermost's Team.IsValid rules, with its error ids. */
function validateTeam(body: CreateTeamBody): void {
  const bad = (id: string, message: string) => AppError.badRequest(id, message);
  if (runes(body.display_name.trim()) === 0 || runes(body.display_name) > 64) {
    throw bad('model.team.is_valid.name.app_error', 'Display name must be 1 to 64 characters.');
  }
  if (!TEAM_NAME.test(body.name)) {
    throw bad(
      'model.team.is_valid.url.app_error',
      'Name must be 2 to 64 characters: a lowercase letter, then lowercase letters, digits, - or _.',
    );
  }
  if (RESERVED_TEAM_NAME_PREFIXES.some((p) => body.name.startsWith(p))) {
    throw bad('model.team.is_valid.reserved.app_error', 'This team name is unavailable.');
  }
  if (body.type !== 'O' && body.type !== 'I') throw bad('model.team.is_valid.type.app_error', "Type must be 'O' or 'I'.");
  if (body.description !== undefined && runes(body.description) > 255) {
    throw bad('model.team.is_valid.description.app_error', 'Description must be at most 255 characters.');
  }
  if (body.company_name !== undefined && runes(body.company_name) > 64) {
    throw bad('model.team.is_valid.company.app_error', 'Company name must be at most 64 characters.');
  }
  if (body.allowed_domains !== undefined && body.allowed_domains.length > 1000) {
    throw bad('model.team.is_valid.domains.app_error', 'Allowed domains must be at most 1000 characters.');
  }
}
