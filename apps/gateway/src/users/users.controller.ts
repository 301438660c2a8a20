import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res, UsePipes } from '@nestjs/common';
import { pageParam, perPageParam, toUserJson } from '@fedchat/chat';
import { AppError } from '@fedchat/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import type { Request, Response } from 'express';
import { CurrentAuth, CurrentUser, Public, tokenOf } from '../auth/auth.guard';
import { AuthContext, AuthService } from '../auth/auth.service';
import { apiValidationPipe } from '../http/validation';
import {
  CreateAccessTokenBody,
  CreateUserBody,
  LoginBody,
  OkJson,
  PatchUserBody,
  RevokeAccessTokenBody,
  StatusJson,
  UpdateActiveBody,
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
  ) {}

  /** Sign-up; an admin's token lets them create accounts on a closed server. */
  @Public()
  @Post()
  @ApiCreatedResponse({ type: UserJson })
  async create(@Body() body: CreateUserBody, @Req() req: Request): Promise<Record<string, unknown>> {
    const token = tokenOf(req);
    const caller = token ? (await this.auth.authenticate(token))?.user : undefined;
    return toUserJson(await this.users.create(body, caller));
  }

  /** Opens a session; the token is returned in the `Token` header, as Mattermost does. */
  @Public()
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
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'per_page', required: false })
  @ApiQuery({ name: 'in_team', required: false })
  @ApiQuery({ name: 'in_channel', required: false })
  @ApiQuery({ name: 'not_in_channel', required: false })
  @ApiOkResponse({ type: [UserJson] })
  async list(
    @Query('page') page = '0',
    @Query('per_page') perPage = '60',
    @Query('in_team') inTeam?: string,
    @Query('in_channel') inChannel?: string,
    @Query('not_in_channel') notInChannel?: string,
  ): Promise<Record<string, unknown>[]> {
    const users = await this.users.list({
      page: pageParam(page),
      perPage: perPageParam(perPage),
      inTeam,
      inChannel,
      notInChannel,
    });
    return users.map(toUserJson);
  }

  @Post('ids')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'array', items: { type: 'string' } } })
  @ApiOkResponse({ type: [UserJson] })
  async byIds(@Body() ids: unknown): Promise<Record<string, unknown>[]> {
    return (await this.users.getByIds(ids)).map(toUserJson);
  }

  @Post('usernames')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'array', items: { type: 'string' } } })
  @ApiOkResponse({ type: [UserJson] })
  async byUsernames(@Body() names: unknown): Promise<Record<string, unknown>[]> {
    return (await this.users.getByUsernames(names)).map(toUserJson);
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
  async byUsername(@Param('username') username: string): Promise<Record<string, unknown>> {
    return toUserJson(await this.users.getByUsername(username));
  }

  /** `me` stands for the caller, as in Mattermost. */
  @Get(':user_id')
  @ApiOkResponse({ type: UserJson })
  async get(@CurrentUser() caller: User, @Param('user_id') userId: string): Promise<Record<string, unknown>> {
    return toUserJson(userId === 'me' ? caller : await this.users.get(userId));
  }

  @Put(':user_id/patch')
  @ApiOkResponse({ type: UserJson })
  async patch(
    @CurrentUser() caller: User,
    @Param('user_id') userId: string,
    @Body() body: PatchUserBody,
  ): Promise<Record<string, unknown>> {
    return toUserJson(await this.users.patch(caller, me(caller, userId), body));
  }

  /** Deactivates (`active: false`) or reactivates a local user: the user themself or a system admin. */
  @Put(':user_id/active')
  @ApiOkResponse({ type: OkJson })
  async updateActive(@CurrentUser() caller: User, @Param('user_id') userId: string, @Body() body: UpdateActiveBody): Promise<typeof OK> {
    await this.users.setActive(caller, me(caller, userId), body.active);
    return OK;
  }

  @Get(':user_id/status')
  @ApiOkResponse({ type: StatusJson })
  async getStatus(@CurrentUser() caller: User, @Param('user_id') userId: string): Promise<StatusJson> {
    return this.users.getStatus(me(caller, userId));
  }

  @Put(':user_id/status')
  @ApiOkResponse({ type: StatusJson })
  async setStatus(@CurrentUser() caller: User, @Param('user_id') userId: string, @Body() body: UpdateStatusBody): Promise<StatusJson> {
    const id = me(caller, userId);
    if (body.user_id !== id) throw AppError.badRequest('api.context.invalid_param.app_error', 'user_id in body and URL differ.');
    return this.users.setStatus(caller, id, body.status, body.dnd_end_time);
  }

  @Post(':user_id/tokens')
  @HttpCode(200)
  async createToken(@CurrentUser() caller: User, @Param('user_id') userId: string, @Body() body: CreateAccessTokenBody) {
    const { token, row } = await this.users.createAccessToken(caller, me(caller, userId), body.description);
    return { id: row.id, token, user_id: row.user_id, description: row.description, is_active: row.is_active };
  }

  @Get(':user_id/tokens')
  async listTokens(@CurrentUser() caller: User, @Param('user_id') userId: string) {
    const rows = await this.users.listAccessTokens(caller, me(caller, userId));
    return rows.map((r) => ({ id: r.id, user_id: r.user_id, description: r.description, is_active: r.is_active }));
  }
}

function me(caller: User, userId: string): string {
  return userId === 'me' ? caller.id : userId;
}
