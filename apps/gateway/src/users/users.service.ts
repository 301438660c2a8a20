import { Inject, Injectable } from '@nestjs/common';
import {
  ChannelAccess,
  hasPermission,
  isSystemAdmin,
  Permission,
  RoleCatalogue,
  ROLE_SYSTEM_ADMIN,
  ROLE_SYSTEM_USER,
  rolesOf,
  SYNC_USER_PROPS,
  UserUpdatedEvents,
  WebSocketEvents,
  withoutSyncUserProps,
  WsEvent,
} from '@fedchat/chat';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, AppError, Bus } from '@fedchat/common';
import { UserProfileChangedEvent, UserStatusChangedEvent } from '@fedchat/contracts';
import { hashToken, isValidId, newId } from '@fedchat/crypto';
import { Channel, isUniqueViolation, Status, User, UserAccessToken } from '@fedchat/models';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { AuthContext, AuthService } from '../auth/auth.service';
import { hashPassword, passwordProblem } from '../auth/password';
import type { CreateUserBody, PatchUserBody, RemoteOriginJson, STATUSES } from './users.dto';

/** Serialises first-user creation, so exactly one account becomes the initial system admin. */
const FIRST_USER_LOCK = 7_301_984_222;

type StatusValue = (typeof STATUSES)[number];

/** The system roles `PUT /users/{id}/roles` may give (the suite has no guests or delegated admin roles). */
const ASSIGNABLE_SYSTEM_ROLES: ReadonlySet<string> = new Set([ROLE_SYSTEM_USER, ROLE_SYSTEM_ADMIN]);

/**
 * Whether the user is the only active system admin. Locks the active admins' rows until the transaction ends, so that
 * two admins demoting or deactivating each other at the same moment cannot both pass the check.
 */
async function isLastActiveAdmin(tx: EntityManager, userId: string): Promise<boolean> {
  const admins: Array<{ id: string }> = await tx.query(
    `SELECT id FROM users WHERE delete_at = 0 AND $1 = ANY(string_to_array(roles, ' ')) ORDER BY id FOR UPDATE`,
    [ROLE_SYSTEM_ADMIN],
  );
  return admins.length === 1 && admins[0].id === userId;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Status) private readonly statuses: Repository<Status>,
    @InjectRepository(UserAccessToken) private readonly accessTokens: Repository<UserAccessToken>,
    @InjectRepository(Channel) private readonly channels: Repository<Channel>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly events: WebSocketEvents,
    private readonly userUpdated: UserUpdatedEvents,
    private readonly access: ChannelAccess,
    private readonly bus: Bus,
    private readonly catalogue: RoleCatalogue,
  ) {}

  /**
   * Sign-up. The first local user becomes system admin, as in Mattermost. Afterwards anyone may sign up only when
   * the server is open (MM_TEAMSETTINGS_ENABLEOPENSERVER); otherwise an admin creates accounts.
   */
  async create(body: CreateUserBody, caller?: User): Promise<User> {
    const problem = passwordProblem(body.password);
    if (problem) throw AppError.badRequest('model.user.is_valid.pwd.app_error', problem);
    const passwordHash = await hashPassword(body.password);
    const now = Date.now();
    try {
      return await this.dataSource.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [FIRST_USER_LOCK]);
        const first = (await tx.getRepository(User).countBy({ remote_id: '' })) === 0;
        if (!first && !this.config.team.enableOpenServer && !(caller && hasPermission(caller.roles, Permission.CreateUser))) {
          throw new AppError(
            'api.user.create_user.no_open_server',
            'This server does not allow open signups. Please speak with your Administrator to receive an invitation.',
            403,
          );
        }
        const user = tx.getRepository(User).create({
          id: newId(),
          create_at: now,
          update_at: now,
          username: body.username.toLowerCase(),
          email: body.email.toLowerCase(),
          password: passwordHash,
          first_name: body.first_name ?? '',
          last_name: body.last_name ?? '',
          nickname: body.nickname ?? '',
          position: body.position ?? '',
          locale: body.locale ?? 'en',
          roles: first ? `${ROLE_SYSTEM_ADMIN} ${ROLE_SYSTEM_USER}` : ROLE_SYSTEM_USER,
          last_password_update: now,
          notify_props: defaultNotifyProps(),
          timezone: { useAutomaticTimezone: 'true', automaticTimezone: '', manualTimezone: '' },
        });
        await tx.getRepository(User).insert(user);
        return user;
      });
    } catch (err) {
      throw translateUniqueViolation(err);
    }
  }

  async get(id: string): Promise<User> {
    if (!isValidId(id)) throw AppError.invalidParam('user_id');
    const user = await this.users.findOneBy({ id });
    if (!user) throw AppError.notFound('user', 'app.user.missing_account.const');
    return user;
  }

  async getByUsername(username: string): Promise<User> {
    const user = await this.users.findOneBy({ username: username.toLowerCase() });
    if (!user) throw AppError.notFound('user', 'app.user.missing_account.const');
    return user;
  }

  async getByIds(ids: unknown): Promise<User[]> {
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 1000 || !ids.every(isValidId)) throw AppError.invalidParam('user_ids');
    return this.users.findBy({ id: In(ids) });
  }

  async getByUsernames(names: unknown): Promise<User[]> {
    if (!Array.isArray(names) || names.length === 0 || names.length > 1000 || !names.every((n) => typeof n === 'string')) {
      throw AppError.invalidParam('usernames');
    }
    return this.users.findBy({ username: In(names.map((n: string) => n.toLowerCase())) });
  }

  /**
   * Lists active users, optionally those in (or not in) a team or channel (Client4.getProfiles*). As in Mattermost,
   * a team filter needs view_team (membership, or admin) and a channel filter read access to the channel (members;
   * team members for a public channel; admins): otherwise 403, so nobody learns who is in a private channel or DM.
   */
  async list(
    caller: User,
    opts: { page: number; perPage: number; inTeam?: string; notInTeam?: string; inChannel?: string; notInChannel?: string },
  ): Promise<User[]> {
    if (opts.inTeam) await this.requireViewTeam(caller, opts.inTeam, 'in_team');
    if (opts.notInTeam) await this.requireViewTeam(caller, opts.notInTeam, 'not_in_team');
    if (opts.inChannel) await this.requireReadChannel(caller, opts.inChannel, 'in_channel');
    if (opts.notInChannel) await this.requireReadChannel(caller, opts.notInChannel, 'not_in_channel');
    const qb = this.users.createQueryBuilder('u').where('u.delete_at = 0');
    if (opts.inTeam)
      qb.andWhere('EXISTS (SELECT 1 FROM team_members tm WHERE tm.user_id = u.id AND tm.team_id = :team AND tm.delete_at = 0)', {
        team: opts.inTeam,
      });
    if (opts.notInTeam)
      qb.andWhere('NOT EXISTS (SELECT 1 FROM team_members ntm WHERE ntm.user_id = u.id AND ntm.team_id = :nteam AND ntm.delete_at = 0)', {
        nteam: opts.notInTeam,
      });
    if (opts.inChannel)
      qb.andWhere('EXISTS (SELECT 1 FROM channel_members cm WHERE cm.user_id = u.id AND cm.channel_id = :ch)', { ch: opts.inChannel });
    if (opts.notInChannel) {
      qb.andWhere('NOT EXISTS (SELECT 1 FROM channel_members cm2 WHERE cm2.user_id = u.id AND cm2.channel_id = :nch)', {
        nch: opts.notInChannel,
      });
    }
    return qb
      .orderBy('u.username', 'ASC')
      .skip(opts.page * opts.perPage)
      .take(opts.perPage)
      .getMany();
  }

  /**
   * Mattermost's `POST /users/search`: users whose username, nickname (and, where the caller may see them, first or
   * last name and email) start with the term, with the filters of `list` and their permission checks.
   */
  async search(caller: User, q: UserSearch): Promise<User[]> {
    if (q.term.trim() === '') throw AppError.invalidParam('term');
    if (q.teamId) await this.requireViewTeam(caller, q.teamId, 'team_id');
    if (q.notInTeamId) await this.requireViewTeam(caller, q.notInTeamId, 'not_in_team_id');
    if (q.inChannelId) await this.requireReadChannel(caller, q.inChannelId, 'in_channel_id');
    if (q.notInChannelId) await this.requireReadChannel(caller, q.notInChannelId, 'not_in_channel_id');
    const qb = this.matching(caller, q.term);
    if (!q.allowInactive) qb.andWhere('u.delete_at = 0');
    if (q.teamId) qb.andWhere(inTeam('u', ':team'), { team: q.teamId });
    if (q.notInTeamId) qb.andWhere(`NOT ${inTeam('u', ':nteam')}`, { nteam: q.notInTeamId });
    if (q.withoutTeam) qb.andWhere('NOT EXISTS (SELECT 1 FROM team_members wt WHERE wt.user_id = u.id AND wt.delete_at = 0)');
    if (q.inChannelId) qb.andWhere(inChannel('u', ':ch'), { ch: q.inChannelId });
    if (q.notInChannelId) qb.andWhere(`NOT ${inChannel('u', ':nch')}`, { nch: q.notInChannelId });
    return qb.orderBy('u.username', 'ASC').take(q.limit).getMany();
  }

  /**
   * Mattermost's `GET /users/autocomplete` (mentions): active users starting with `name`; with `in_channel` the
   * channel's members and, as `out_of_channel`, the team's other members; with `in_team` the team's members.
   */
  async autocomplete(
    caller: User,
    q: { name: string; teamId?: string; channelId?: string; limit: number },
  ): Promise<{ users: User[]; out_of_channel?: User[] }> {
    if (q.channelId) {
      await this.requireReadChannel(caller, q.channelId, 'in_channel');
      if (q.teamId && !isValidId(q.teamId)) throw AppError.invalidParam('in_team');
      const members = await this.matching(caller, q.name)
        .andWhere('u.delete_at = 0')
        .andWhere(inChannel('u', ':ch'), { ch: q.channelId })
        .orderBy('u.username', 'ASC')
        .take(q.limit)
        .getMany();
      const outside = q.teamId
        ? await this.matching(caller, q.name)
            .andWhere('u.delete_at = 0')
            .andWhere(inTeam('u', ':team'), { team: q.teamId })
            .andWhere(`NOT ${inChannel('u', ':ch')}`, { ch: q.channelId })
            .orderBy('u.username', 'ASC')
            .take(q.limit)
            .getMany()
        : [];
      return { users: members, out_of_channel: outside };
    }
    if (q.teamId) {
      await this.requireViewTeam(caller, q.teamId, 'in_team');
      const members = await this.matching(caller, q.name)
        .andWhere('u.delete_at = 0')
        .andWhere(inTeam('u', ':team'), { team: q.teamId })
        .orderBy('u.username', 'ASC')
        .take(q.limit)
        .getMany();
      return { users: members };
    }
    return { users: await this.matching(caller, q.name).andWhere('u.delete_at = 0').orderBy('u.username', 'ASC').take(q.limit).getMany() };
  }

  /**
   * Mattermost's `GET /users/email/{email}`: only for callers who may see emails (everyone when
   * MM_PRIVACYSETTINGS_SHOWEMAILADDRESS, else system admins), so that hidden emails cannot be confirmed one by one.
   */
  async getByEmail(caller: User, email: string): Promise<User> {
    if (!this.seesEmails(caller)) {
      throw new AppError('api.user.get_user_by_email.permissions.app_error', 'Unable to get user by email.', 403);
    }
    if (email.length > 128 || !/^[^\s@]+@[^\s@]+$/.test(email)) throw AppError.invalidParam('email');
    const user = await this.users.findOneBy({ email: email.toLowerCase() });
    if (!user) throw AppError.notFound('user', 'app.user.missing_account.const');
    return user;
  }

  private seesEmails(caller: User): boolean {
    return this.config.privacy.showEmailAddress || isSystemAdmin(caller.roles);
  }

  /** Users whose visible names start with `term` (case-insensitive); what the privacy settings hide is not searched. */
  private matching(caller: User, term: string) {
    const qb = this.users.createQueryBuilder('u');
    const prefix = term.trim().toLowerCase().replace(/^@/, '');
    if (prefix === '') return qb.where('true');
    const like = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const fields = ['u.username', 'lower(u.nickname)'];
    if (this.config.privacy.showFullName || isSystemAdmin(caller.roles)) fields.push('lower(u.first_name)', 'lower(u.last_name)');
    if (this.seesEmails(caller)) fields.push('u.email');
    return qb.where(`(${fields.map((f) => `${f} LIKE :like`).join(' OR ')})`, { like });
  }

  /** Mattermost's view_team, as the roles say: the team's members (team_user) and system admins by default. */
  private async requireViewTeam(caller: User, teamId: string, param: string): Promise<void> {
    if (!isValidId(teamId)) throw AppError.invalidParam(param);
    if (!(await this.catalogue.hasTeamPermission(caller, teamId, Permission.ViewTeam))) throw AppError.forbidden(Permission.ViewTeam);
  }

  /** read_channel; an unknown channel answers the same 403, so ids cannot be probed. */
  private async requireReadChannel(caller: User, channelId: string, param: string): Promise<void> {
    if (!isValidId(channelId)) throw AppError.invalidParam(param);
    const channel = await this.channels.findOneBy({ id: channelId });
    if (!channel || !(await this.access.canRead(caller, channel))) throw AppError.forbidden('read_channel');
  }

  /**
   * What this server keeps about a remote user's origin (real username and email at the origin, first owner), for
   * system admins only (manage_system, required by the route): these values never appear in the user JSON clients get.
   */
  async remoteOrigin(userId: string): Promise<RemoteOriginJson> {
    const user = await this.get(userId);
    const props = user.props ?? {};
    return {
      user_id: user.id,
      remote_id: user.remote_id ?? '',
      original_remote_id: props[SYNC_USER_PROPS.OriginalRemoteId] ?? '',
      remote_username: props[SYNC_USER_PROPS.RemoteUsername] ?? '',
      remote_email: props[SYNC_USER_PROPS.RemoteEmail] ?? '',
    };
  }

  /** Self or a user with edit_other_users; remote users are owned by their home cluster and cannot be edited here. */
  async patch(caller: User, userId: string, patch: PatchUserBody): Promise<User> {
    const user = await this.get(userId);
    this.requireSelfOr(caller, user.id, Permission.EditOtherUsers);
    if (user.remote_id !== '') throw AppError.forbidden('edit_other_users');
    if (patch.email !== undefined && patch.email.toLowerCase() !== user.email && caller.id === user.id) {
      // As Mattermost: changing one's own email takes the current password (admins changing others' do not).
      if (patch.password === undefined) throw AppError.invalidParam('password');
      if (!(await this.auth.checkPassword(user, patch.password))) {
        throw new AppError('api.user.check_user_password.invalid.app_error', 'Login failed because of invalid password.', 401);
      }
    }
    const changes: Partial<User> = { update_at: Date.now() };
    for (const key of ['first_name', 'last_name', 'nickname', 'position', 'locale', 'timezone', 'props', 'notify_props'] as const) {
      if (patch[key] !== undefined) (changes as Record<string, unknown>)[key] = patch[key];
    }
    // The federation props are set by user sync only; a user claiming them would mislead peers about their origin.
    if (changes.props) changes.props = withoutSyncUserProps(changes.props);
    if (patch.username !== undefined) changes.username = patch.username.toLowerCase();
    if (patch.email !== undefined) changes.email = patch.email.toLowerCase();
    try {
      await this.users.update({ id: user.id }, changes);
    } catch (err) {
      throw translateUniqueViolation(err);
    }
    this.auth.changed(user.id);
    const updated = await this.get(user.id);
    await this.userUpdated.publish(updated);
    this.bus.emit(UserProfileChangedEvent, { user_id: user.id });
    return updated;
  }

  /** Deactivation keeps the account and its memberships (as Mattermost) but ends its sessions; peers get the change. */
  /**
   * Mattermost's `PUT /users/{id}/roles` (the guard has checked manage_system): the user's system roles, which must be
   * `system_user`, optionally with `system_admin`. Demoting the last active system admin is refused, so the suite can
   * always be administered; the admins' rows are locked first, so two admins demoting each other cannot both succeed.
   * Sessions read the user's roles on every request, so the change applies at once.
   */
  async setSystemRoles(userId: string, roles: string): Promise<void> {
    const requested = new Set(rolesOf(roles));
    const unknown = [...requested].find((r) => !ASSIGNABLE_SYSTEM_ROLES.has(r));
    if (unknown !== undefined || !requested.has(ROLE_SYSTEM_USER)) {
      throw new AppError(
        'api.user.update_user_roles.invalid_roles.app_error',
        `Invalid roles: a user's roles are ${ROLE_SYSTEM_USER}, optionally with ${ROLE_SYSTEM_ADMIN}${unknown !== undefined ? ` (unknown: ${unknown})` : ''}.`,
        400,
      );
    }
    const user = await this.get(userId);
    if (user.remote_id !== '' || user.is_bot) {
      throw AppError.badRequest('api.user.update_user_roles.not_local.app_error', 'Only local users can hold system roles.');
    }
    const next = [ROLE_SYSTEM_USER, ...(requested.has(ROLE_SYSTEM_ADMIN) ? [ROLE_SYSTEM_ADMIN] : [])].join(' ');
    await this.dataSource.transaction(async (tx) => {
      if (!requested.has(ROLE_SYSTEM_ADMIN) && (await isLastActiveAdmin(tx, user.id))) {
        throw AppError.badRequest(
          'api.user.update_user_roles.last_admin.app_error',
          'This is the last system admin: make another user a system admin before removing this one.',
        );
      }
      await tx.getRepository(User).update({ id: user.id }, { roles: next, update_at: Date.now() });
    });
    this.auth.changed(user.id);
    this.events.toUser(user.id, WsEvent.UserRoleUpdated, { user_id: user.id, roles: next });
  }

  async setActive(caller: User, userId: string, active: boolean): Promise<void> {
    const user = await this.get(userId);
    if (caller.id !== user.id && !hasPermission(caller.roles, Permission.ManageSystem)) throw AppError.forbidden(Permission.ManageSystem);
    if (user.remote_id !== '') throw AppError.forbidden(Permission.ManageSystem);
    if ((user.delete_at === 0) === active) return;
    const now = Date.now();
    await this.dataSource.transaction(async (tx) => {
      // Deactivating the last system admin would leave nobody to administer, as demoting them would.
      if (!active && (await isLastActiveAdmin(tx, user.id))) {
        throw AppError.badRequest(
          'api.user.update_active.last_admin.app_error',
          'This is the last system admin: make another user a system admin before deactivating this one.',
        );
      }
      await tx.getRepository(User).update({ id: user.id }, { delete_at: active ? 0 : now, update_at: now });
    });
    this.auth.changed(user.id);
    if (!active) await this.auth.revokeAllSessions(user.id);
    await this.userUpdated.publish(await this.get(user.id));
    this.bus.emit(UserProfileChangedEvent, { user_id: user.id });
  }

  /**
   * Mattermost's `PUT /users/{id}/password`: the user with their current password (checked under the login lockout),
   * or a system admin for another local user without it. The new password ends the lockout and every other session.
   */
  async updatePassword(auth: AuthContext, userId: string, currentPassword: string | undefined, newPassword: string): Promise<void> {
    const caller = auth.user;
    const user = await this.get(userId);
    if (user.remote_id !== '' || user.is_bot) throw AppError.forbidden();
    if (caller.id === user.id) {
      if (user.password === '' || !(await this.auth.checkPassword(user, currentPassword ?? ''))) {
        throw AppError.badRequest(
          'api.user.update_password.incorrect.app_error',
          'The "Current Password" you entered is incorrect. Please check that Caps Lock is off and try again.',
        );
      }
    } else if (!hasPermission(caller.roles, Permission.ManageSystem)) {
      throw AppError.forbidden(Permission.ManageSystem);
    }
    const problem = passwordProblem(newPassword);
    if (problem) throw AppError.badRequest('model.user.is_valid.pwd.app_error', problem);
    const now = Date.now();
    await this.users.update(
      { id: user.id },
      {
        password: await hashPassword(newPassword),
        last_password_update: now,
        update_at: now,
        failed_attempts: 0,
        last_failed_attempt_at: 0,
      },
    );
    await this.auth.revokeAllSessions(user.id, caller.id === user.id ? auth.sessionId : undefined);
  }

  async getStatus(userId: string): Promise<Status> {
    await this.get(userId);
    return (await this.statuses.findOneBy({ user_id: userId })) ?? offlineStatus(userId);
  }

  async getStatuses(ids: unknown): Promise<Status[]> {
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 1000 || !ids.every(isValidId)) throw AppError.invalidParam('user_ids');
    const found = await this.statuses.findBy({ user_id: In(ids) });
    const byId = new Map(found.map((s) => [s.user_id, s]));
    return ids.map((id: string) => byId.get(id) ?? offlineStatus(id));
  }

  /** A status the user chose (manual); it is not overridden by activity. */
  async setStatus(caller: User, userId: string, status: StatusValue, dndEndTime?: number): Promise<Status> {
    const user = await this.get(userId);
    this.requireSelfOr(caller, user.id, Permission.EditOtherUsers);
    return this.saveStatus(user.id, status, true, status === 'dnd' ? (dndEndTime ?? 0) : 0);
  }

  /** Activity-driven status (login, websocket connect, logout); leaves a manual status alone. */
  async recordActivity(userId: string, status: 'online' | 'offline'): Promise<void> {
    const current = await this.statuses.findOneBy({ user_id: userId });
    if (current?.manual && status === 'online') return;
    if (current && current.status === status) return;
    await this.saveStatus(userId, status, false, 0);
  }

  private async saveStatus(userId: string, status: StatusValue, manual: boolean, dndEndTime: number): Promise<Status> {
    const previous = await this.statuses.findOneBy({ user_id: userId });
    const row: Status = {
      user_id: userId,
      status,
      manual,
      last_activity_at: Date.now(),
      dnd_end_time: dndEndTime,
      prev_status: previous?.status ?? '',
    };
    await this.statuses.upsert({ ...row }, ['user_id']);
    this.events.toAll(WsEvent.StatusChange, { status, user_id: userId });
    this.bus.emit(UserStatusChangedEvent, {
      user_id: userId,
      status,
      manual,
      last_activity_at: row.last_activity_at,
      dnd_end_time: dndEndTime,
    });
    return row;
  }

  /** Personal access tokens, for bots and scripts; only admins by default (the route requires create_user_access_token). */
  async createAccessToken(userId: string, description: string): Promise<{ token: string; row: UserAccessToken }> {
    const user = await this.get(userId);
    if (user.remote_id !== '')
      throw AppError.badRequest('api.user.create_user_access_token.remote_user', 'Remote users cannot have access tokens.');
    const token = newId();
    const row: UserAccessToken = { id: newId(), token_hash: hashToken(token), user_id: user.id, description, is_active: true };
    await this.accessTokens.insert(row);
    return { token, row };
  }

  async listAccessTokens(caller: User, userId: string): Promise<UserAccessToken[]> {
    await this.get(userId);
    this.requireSelfOr(caller, userId, Permission.CreateUserAccessToken);
    return this.accessTokens.findBy({ user_id: userId });
  }

  async revokeAccessToken(caller: User, tokenId: string): Promise<void> {
    if (!isValidId(tokenId)) throw AppError.invalidParam('token_id');
    const row = await this.accessTokens.findOneBy({ id: tokenId });
    if (!row) throw AppError.notFound('access token', 'app.user_access_token.get_by_token.app_error');
    this.requireSelfOr(caller, row.user_id, Permission.CreateUserAccessToken);
    await this.accessTokens.delete({ id: row.id });
    this.auth.changed(row.user_id);
  }

  async logout(sessionId: string, userId: string): Promise<void> {
    await this.auth.logout(sessionId, userId);
    await this.recordActivity(userId, 'offline');
  }

  private requireSelfOr(caller: User, userId: string, permission: Permission): void {
    if (caller.id !== userId && !hasPermission(caller.roles, permission)) throw AppError.forbidden(permission);
  }

  isAdmin(user: User): boolean {
    return isSystemAdmin(user.roles);
  }
}

export interface UserSearch {
  term: string;
  teamId?: string;
  notInTeamId?: string;
  inChannelId?: string;
  notInChannelId?: string;
  allowInactive?: boolean;
  withoutTeam?: boolean;
  limit: number;
}

function inTeam(alias: string, param: string): string {
  return `EXISTS (SELECT 1 FROM team_members tmx WHERE tmx.user_id = ${alias}.id AND tmx.team_id = ${param} AND tmx.delete_at = 0)`;
}

function inChannel(alias: string, param: string): string {
  return `EXISTS (SELECT 1 FROM channel_members cmx WHERE cmx.user_id = ${alias}.id AND cmx.channel_id = ${param})`;
}

function offlineStatus(userId: string): Status {
  return { user_id: userId, status: 'offline', manual: false, last_activity_at: 0, dnd_end_time: 0, prev_status: '' };
}

function defaultNotifyProps(): Record<string, string> {
  return {
    email: 'true',
    push: 'mention',
    desktop: 'mention',
    desktop_sound: 'true',
    mention_keys: '',
    channel: 'true',
    first_name: 'false',
  };
}

function translateUniqueViolation(err: unknown): unknown {
  if (isUniqueViolation(err, 'uq_users_email')) {
    return AppError.badRequest('app.user.save.email_exists.app_error', 'An account with that email already exists.');
  }
  if (isUniqueViolation(err)) {
    return AppError.badRequest('app.user.save.username_exists.app_error', 'An account with that username already exists.');
  }
  return err;
}
