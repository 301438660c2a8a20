import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res, UsePipes } from '@nestjs/common';
import { Permission, toUserJson, toUserJsonFor } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError } from '@fedchat/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import type { Request, Response } from 'express';
import { CurrentAuth, CurrentUser, Public, RequirePermission } from '../auth/auth.guard';
import { SESSION_COOKIE_CSRF, SESSION_COOKIE_TOKEN, SESSION_COOKIE_USER } from '../auth/token';
import { AuthContext, AuthService } from '../auth/auth.service';
import { RateLimitClass } from '../http/rate-limit.guard';
import { PageQuery } from '../http/page-query';
import { UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import {
  AttachDeviceBody,
  CreateAccessTokenBody,
  CreateUserBody,
  LoginBody,
  OkJson,
  PatchUserBody,
  RemoteOriginJson,
  RevokeAccessTokenBody,
  SearchUsersBody,
  StatusJson,
  UpdateActiveBody,
  UpdatePasswordBody,
  UpdateStatusBody,
  UpdateUserRolesBody,
  UserAutocompleteJson,
  UserJson,
} from './users.dto';
import { UsersService } from './users.service';

const OK = { status: 'OK' };

/** Mattermost's user search and autocomplete limits: 100 by default and at most. */
const USER_SEARCH_LIMIT = 100;

function searchLimit(value: unknown): number {
  const n = typeof value === 'number' ? value : Number.parseInt(typeof value === 'string' ? value : '', 10);
  return Number.isInteger(n) && n > 0 ? Math.min(n, USER_SEARCH_LIMIT) : USER_SEARCH_LIMIT;
}

const SESSION_COOKIES = [SESSION_COOKIE_TOKEN, SESSION_COOKIE_USER, SESSION_COOKIE_CSRF];

@ApiTags('users')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Other users' profiles are sanitized (see docs/privacy.md); the caller's own and, for admins, all are whole. */
  private profileFor(caller: User) {
    return (user: User) => toUserJsonFor(user, caller, this.config.privacy);
  }

  /** Sign-up; an admin's token lets them create accounts on a closed server. The answer is for the new user or an admin. */
  @Public()
  @RateLimitClass('login')
  @Post()
  @ApiCreatedResponse({ type: UserJson })
  async create(@Body() body: CreateUserBody, @Req() req: Request): Promise<Record<string, unknown>> {
    const auth = await this.auth.authenticateRequest(req);
    // An admin's session cookie sent by a forged cross-site form must not create accounts.
    const refusal = auth && this.auth.csrfRefusal(req, auth);
    if (refusal) throw refusal;
    return toUserJson(await this.users.create(body, auth?.user));
  }

  /**
   * Opens a session; the token is returned in the `Token` header and, for browsers, in Mattermost's cookies:
   * `MMAUTHTOKEN` (HttpOnly), `MMUSERID` and `MMCSRF`, for the session's lifetime, Secure on https.
   */
  @Public()
  @RateLimitClass('login')
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({
    type: UserJson,
    headers: {
      Token: { description: 'session token for Authorization: Bearer' },
      'Set-Cookie': { description: 'MMAUTHTOKEN (HttpOnly), MMUSERID, MMCSRF' },
    },
  })
  async login(@Body() body: LoginBody, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    const { user, token, csrfToken, expiresAt } = await this.auth.login(body.login_id, body.password, body.device_id);
    await this.users.recordActivity(user.id, 'online');
    res.setHeader('Token', token);
    const options = this.cookieOptions(req);
    const lifetime = { maxAge: expiresAt - Date.now(), expires: new Date(expiresAt) };
    res.cookie(SESSION_COOKIE_TOKEN, token, { ...options, ...lifetime, httpOnly: true });
    res.cookie(SESSION_COOKIE_USER, user.id, { ...options, ...lifetime });
    res.cookie(SESSION_COOKIE_CSRF, csrfToken, { ...options, ...lifetime });
    return toUserJson(user);
  }

  /** Ends the session and clears the session cookies. */
  @Post('logout')
  @HttpCode(200)
  @ApiOkResponse({ type: OkJson })
  async logout(@CurrentAuth() auth: AuthContext, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<typeof OK> {
    await this.users.logout(auth.sessionId, auth.user.id);
    for (const name of SESSION_COOKIES) res.clearCookie(name, this.cookieOptions(req));
    return OK;
  }

  /** Path `/`, SameSite Lax (the browsers' default; Mattermost sets none), Secure when the site or request is https. */
  private cookieOptions(req: Request) {
    const secure = req.secure || new URL(this.config.siteUrl).protocol === 'https:';
    return { path: '/', sameSite: 'lax' as const, secure };
  }

  /** The mobile app registers its push device with the session; other sessions of that device end, as in Mattermost. */
  @Put('sessions/device')
  @ApiOkResponse({ type: OkJson })
  async attachDevice(@CurrentAuth() auth: AuthContext, @Body() body: AttachDeviceBody): Promise<typeof OK> {
    await this.auth.attachDevice(auth, body.device_id);
    return OK;
  }

  /** Mention autocomplete: `name` prefix; `in_channel` (and `in_team` for out_of_channel) or `in_team`; `limit` ≤ 100. */
  @Get('autocomplete')
  @ApiQuery({ name: 'name', required: false })
  @ApiQuery({ name: 'in_team', required: false, description: 'needs view_team (403 otherwise)' })
  @ApiQuery({ name: 'in_channel', required: false, description: 'needs read access to the channel (403 otherwise)' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ type: UserAutocompleteJson })
  async autocomplete(
    @CurrentUser() caller: User,
    @Query('name') name?: string,
    @Query('in_team') inTeam?: string,
    @Query('in_channel') inChannel?: string,
    @Query('limit') limit?: string,
  ): Promise<Record<string, unknown>> {
    const found = await this.users.autocomplete(caller, {
      name: typeof name === 'string' ? name : '',
      teamId: typeof inTeam === 'string' && inTeam !== '' ? inTeam : undefined,
      channelId: typeof inChannel === 'string' && inChannel !== '' ? inChannel : undefined,
      limit: searchLimit(limit),
    });
    const profile = this.profileFor(caller);
    return {
      users: found.users.map(profile),
      ...(found.out_of_channel ? { out_of_channel: found.out_of_channel.map(profile) } : {}),
    };
  }

  @Post('search')
  @HttpCode(200)
  @ApiOkResponse({ type: [UserJson] })
  async search(@CurrentUser() caller: User, @Body() body: SearchUsersBody): Promise<Record<string, unknown>[]> {
    const found = await this.users.search(caller, {
      term: body.term,
      teamId: body.team_id || undefined,
      notInTeamId: body.not_in_team_id || undefined,
      inChannelId: body.in_channel_id || undefined,
      notInChannelId: body.not_in_channel_id || undefined,
      allowInactive: body.allow_inactive,
      withoutTeam: body.without_team,
      limit: searchLimit(body.limit),
    });
    return found.map(this.profileFor(caller));
  }

  /** Only where the caller may see emails (MM_PRIVACYSETTINGS_SHOWEMAILADDRESS, or a system admin): 403 otherwise. */
  @Get('email/:email')
  @ApiOkResponse({ type: UserJson })
  async byEmail(@CurrentUser() caller: User, @Param('email') email: string): Promise<Record<string, unknown>> {
    return this.profileFor(caller)(await this.users.getByEmail(caller, email));
  }

  @Get()
  @ApiQuery({ name: 'in_team', required: false, description: 'needs view_team (403 otherwise)' })
  @ApiQuery({ name: 'not_in_team', required: false, description: 'needs view_team (403 otherwise)' })
  @ApiQuery({ name: 'in_channel', required: false, description: 'needs read access to the channel (403 otherwise)' })
  @ApiQuery({ name: 'not_in_channel', required: false, description: 'needs read access to the channel (403 otherwise)' })
  @ApiOkResponse({ type: [UserJson] })
  async list(
    @CurrentUser() caller: User,
    @Query() paging: PageQuery,
    @Query('in_team') inTeam?: string,
    @Query('not_in_team') notInTeam?: string,
    @Query('in_channel') inChannel?: string,
    @Query('not_in_channel') notInChannel?: string,
  ): Promise<Record<string, unknown>[]> {
    const users = await this.users.list(caller, {
      page: paging.page,
      perPage: paging.per_page,
      inTeam,
      notInTeam,
      inChannel,
      notInChannel,
    });
    return users.map(this.profileFor(caller));
  }

  @Post('ids')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'array', items: { type: 'string' } } })
  @ApiOkResponse({ type: [UserJson] })
  async byIds(@CurrentUser() caller: User, @Body() ids: unknown): Promise<Record<string, unknown>[]> {
    return (await this.users.getByIds(ids)).map(this.profileFor(caller));
  }

  @Post('usernames')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'array', items: { type: 'string' } } })
  @ApiOkResponse({ type: [UserJson] })
  async byUsernames(@CurrentUser() caller: User, @Body() names: unknown): Promise<Record<string, unknown>[]> {
    return (await this.users.getByUsernames(names)).map(this.profileFor(caller));
  }

  @Post('status/ids')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'array', items: { type: 'string' } } })
  @ApiOkResponse({ type: [StatusJson] })
  async statusesByIds(@Body() ids: unknown): Promise<StatusJson[]> {
    return this.users.getStatuses(ids);
  }

  @Post('tokens/revoke')
  @HttpCode(200)
  @ApiOkResponse({ type: OkJson })
  async revokeToken(@CurrentUser() caller: User, @Body() body: RevokeAccessTokenBody): Promise<typeof OK> {
    await this.users.revokeAccessToken(caller, body.token_id);
    return OK;
  }

  @Get('username/:username')
  @ApiOkResponse({ type: UserJson })
  async byUsername(@CurrentUser() caller: User, @Param('username') username: string): Promise<Record<string, unknown>> {
    return this.profileFor(caller)(await this.users.getByUsername(username));
  }

  /** `me` stands for the caller, as in Mattermost. */
  @Get(':user_id')
  @ApiOkResponse({ type: UserJson })
  async get(@CurrentUser() caller: User, @UserIdParam() userId: string): Promise<Record<string, unknown>> {
    return this.profileFor(caller)(userId === caller.id ? caller : await this.users.get(userId));
  }

  /** Admin view of a remote user's origin: the real username and email its home sent, which clients never get. */
  @Get(':user_id/remote_origin')
  @RequirePermission(Permission.ManageSystem)
  @ApiOkResponse({ type: RemoteOriginJson })
  async remoteOrigin(@UserIdParam() userId: string): Promise<RemoteOriginJson> {
    return this.users.remoteOrigin(userId);
  }

  /** Changing one's own email takes `password` (the current one), as in Mattermost; admins patching others do not. */
  @Put(':user_id/patch')
  @ApiOkResponse({ type: UserJson })
  async patch(@CurrentUser() caller: User, @UserIdParam() userId: string, @Body() body: PatchUserBody): Promise<Record<string, unknown>> {
    return toUserJson(await this.users.patch(caller, userId, body));
  }

  /** Sets a user's system roles (`system_user`, optionally `system_admin`); the last system admin cannot be demoted. */
  @Put(':user_id/roles')
  @RequirePermission(Permission.ManageSystem)
  @ApiOkResponse({ type: OkJson })
  async updateRoles(@UserIdParam() userId: string, @Body() body: UpdateUserRolesBody): Promise<typeof OK> {
    await this.users.setSystemRoles(userId, body.roles);
    return OK;
  }

  /** Deactivates (`active: false`) or reactivates a local user: the user themself or a system admin. */
  @Put(':user_id/active')
  @ApiOkResponse({ type: OkJson })
  async updateActive(@CurrentUser() caller: User, @UserIdParam() userId: string, @Body() body: UpdateActiveBody): Promise<typeof OK> {
    await this.users.setActive(caller, userId, body.active);
    return OK;
  }

  /** Changes a password (the user's own with the current one, or any local user's by a system admin); ends the lockout. */
  @RateLimitClass('login')
  @Put(':user_id/password')
  @ApiOkResponse({ type: OkJson })
  async updatePassword(
    @CurrentAuth() auth: AuthContext,
    @UserIdParam() userId: string,
    @Body() body: UpdatePasswordBody,
  ): Promise<typeof OK> {
    await this.users.updatePassword(auth, userId, body.current_password, body.new_password);
    return OK;
  }

  @Get(':user_id/status')
  @ApiOkResponse({ type: StatusJson })
  async getStatus(@UserIdParam() userId: string): Promise<StatusJson> {
    return this.users.getStatus(userId);
  }

  @Put(':user_id/status')
  @ApiOkResponse({ type: StatusJson })
  async setStatus(@CurrentUser() caller: User, @UserIdParam() userId: string, @Body() body: UpdateStatusBody): Promise<StatusJson> {
    if (body.user_id !== userId) throw AppError.badRequest('api.context.invalid_param.app_error', 'user_id in body and URL differ.');
    return this.users.setStatus(caller, userId, body.status, body.dnd_end_time);
  }

  @Post(':user_id/tokens')
  @RequirePermission(Permission.CreateUserAccessToken)
  @HttpCode(200)
  async createToken(@UserIdParam() userId: string, @Body() body: CreateAccessTokenBody) {
    const { token, row } = await this.users.createAccessToken(userId, body.description);
    return { id: row.id, token, user_id: row.user_id, description: row.description, is_active: row.is_active };
  }

  @Get(':user_id/tokens')
  async listTokens(@CurrentUser() caller: User, @UserIdParam() userId: string) {
    const rows = await this.users.listAccessTokens(caller, userId);
    return rows.map((r) => ({ id: r.id, user_id: r.user_id, description: r.description, is_active: r.is_active }));
  }
}
