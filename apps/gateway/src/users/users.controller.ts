import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res, UsePipes } from '@nestjs/common';
import { Permission, toUserJson, toUserJsonFor } from '@fedchat/chat';
import { APP_CONFIG, AppConfig, AppError } from '@fedchat/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import type { Request, Response } from 'express';
import { CurrentAuth, CurrentUser, Public, RequirePermission, tokenOf } from '../auth/auth.guard';
import { AuthContext, AuthService } from '../auth/auth.service';
import { RateLimitClass } from '../http/rate-limit.guard';
import { PageQuery } from '../http/page-query';
import { UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import {
  CreateAccessTokenBody,
  CreateUserBody,
  LoginBody,
  OkJson,
  PatchUserBody,
  RemoteOriginJson,
  RevokeAccessTokenBody,
  StatusJson,
  UpdateActiveBody,
  UpdatePasswordBody,
  UpdateStatusBody,
  UserJson,
} from './users.dto';
import { UsersService } from './users.service';

const OK = { status: 'OK' };

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
    const token = tokenOf(req);
    const caller = token ? (await this.auth.authenticate(token))?.user : undefined;
    return toUserJson(await this.users.create(body, caller));
  }

  /** Opens a session; the token is returned in the `Token` header, as Mattermost does. */
  @Public()
  @RateLimitClass('login')
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: UserJson, headers: { Token: { description: 'session token for Authorization: Bearer' } } })
  async login(@Body() body: LoginBody, @Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    const { user, token } = await this.auth.login(body.login_id, body.password, body.device_id);
    await this.users.recordActivity(user.id, 'online');
    res.setHeader('Token', token);
    return toUserJson(user);
  }

  @Post('logout')
  @HttpCode(200)
  @ApiOkResponse({ type: OkJson })
  async logout(@CurrentAuth() auth: AuthContext): Promise<typeof OK> {
    await this.users.logout(auth.sessionId, auth.user.id);
    return OK;
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
