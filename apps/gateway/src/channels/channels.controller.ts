import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UsePipes } from '@nestjs/common';
import { Permission, toChannelJson, toChannelMemberJson } from '@fedchat/chat';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import { CurrentUser, RequirePermission } from '../auth/auth.guard';
import { SchemeRolesBody } from '../roles/scheme-roles.dto';
import { PageQuery } from '../http/page-query';
import { UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import { OkJson } from '../users/users.dto';
import {
  AddChannelMemberBody,
  ChannelJson,
  ChannelMemberJson,
  CreateChannelBody,
  PatchChannelBody,
  SearchChannelsBody,
  UpdateChannelBody,
} from './channels.dto';
import { ChannelsService } from './channels.service';

const OK = { status: 'OK' };
const USER_IDS_BODY = { schema: { type: 'array' as const, items: { type: 'string' as const } } };

function flag(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

@ApiTags('channels')
@ApiBearerAuth()
@ApiExtraModels(ChannelMemberJson)
@UsePipes(apiValidationPipe)
@Controller('api/v4')
export class ChannelsController {
  constructor(private readonly channels: ChannelsService) {}

  /** Creates a public ('O') or private ('P') channel in a team the caller belongs to. */
  @Post('channels')
  @ApiCreatedResponse({ type: ChannelJson })
  async create(@CurrentUser() caller: User, @Body() body: CreateChannelBody): Promise<Record<string, unknown>> {
    return toChannelJson(await this.channels.create(caller, body));
  }

  /** The direct channel of two users (`[user_id, other_user_id]`); returns the existing one when there is one. */
  @Post('channels/direct')
  @RequirePermission(Permission.CreateDirectChannel)
  @HttpCode(201)
  @ApiBody(USER_IDS_BODY)
  @ApiCreatedResponse({ type: ChannelJson })
  async createDirect(@CurrentUser() caller: User, @Body() userIds: unknown): Promise<Record<string, unknown>> {
    return toChannelJson(await this.channels.createDirect(caller, userIds));
  }

  /** The group channel of 3-8 users (the caller included); returns the existing one for the same users. */
  @Post('channels/group')
  @RequirePermission(Permission.CreateGroupChannel)
  @HttpCode(201)
  @ApiBody(USER_IDS_BODY)
  @ApiCreatedResponse({ type: ChannelJson })
  async createGroup(@CurrentUser() caller: User, @Body() userIds: unknown): Promise<Record<string, unknown>> {
    return toChannelJson(await this.channels.createGroup(caller, userIds));
  }

  @Get('channels/:channel_id')
  @ApiOkResponse({ type: ChannelJson })
  async get(@CurrentUser() caller: User, @Param('channel_id') channelId: string): Promise<Record<string, unknown>> {
    return toChannelJson(await this.channels.get(caller, channelId));
  }

  /** The whole channel as Mattermost's clients send it; names, header and purpose change (empty ones stay as they were). */
  @Put('channels/:channel_id')
  @ApiOkResponse({ type: ChannelJson })
  async update(
    @CurrentUser() caller: User,
    @Param('channel_id') channelId: string,
    @Body() body: UpdateChannelBody,
  ): Promise<Record<string, unknown>> {
    return toChannelJson(await this.channels.update(caller, channelId, body));
  }

  @Put('channels/:channel_id/patch')
  @ApiOkResponse({ type: ChannelJson })
  async patch(
    @CurrentUser() caller: User,
    @Param('channel_id') channelId: string,
    @Body() body: PatchChannelBody,
  ): Promise<Record<string, unknown>> {
    return toChannelJson(await this.channels.patch(caller, channelId, body));
  }

  /** Archives the channel (delete_at is set; posts and members stay). */
  @Delete('channels/:channel_id')
  @ApiOkResponse({ type: OkJson })
  async archive(@CurrentUser() caller: User, @Param('channel_id') channelId: string): Promise<typeof OK> {
    await this.channels.archive(caller, channelId);
    return OK;
  }

  /** Adds `user_id` (answer: the member) or `user_ids` (answer: the list of members). */
  @Post('channels/:channel_id/members')
  @ApiCreatedResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(ChannelMemberJson) }, { type: 'array', items: { $ref: getSchemaPath(ChannelMemberJson) } }] },
  })
  async addMembers(
    @CurrentUser() caller: User,
    @Param('channel_id') channelId: string,
    @Body() body: AddChannelMemberBody,
  ): Promise<Record<string, unknown> | Record<string, unknown>[]> {
    const members = (await this.channels.addMembers(caller, channelId, body)).map(toChannelMemberJson);
    return body.user_ids !== undefined ? members : members[0];
  }

  @Delete('channels/:channel_id/members/:user_id')
  @ApiOkResponse({ type: OkJson })
  async removeMember(
    @CurrentUser() caller: User,
    @Param('channel_id') channelId: string,
    @UserIdParam() userId: string,
  ): Promise<typeof OK> {
    await this.channels.removeMember(caller, channelId, userId);
    return OK;
  }

  @Get('channels/:channel_id/members')
  @ApiOkResponse({ type: [ChannelMemberJson] })
  async listMembers(
    @CurrentUser() caller: User,
    @Param('channel_id') channelId: string,
    @Query() paging: PageQuery,
  ): Promise<Record<string, unknown>[]> {
    return (await this.channels.listMembers(caller, channelId, paging.skip, paging.take)).map(toChannelMemberJson);
  }

  /** Makes a member a channel admin (`scheme_admin: true`) or a plain member; channel admins and system admins may. */
  @Put('channels/:channel_id/members/:user_id/schemes')
  @ApiOkResponse({ type: OkJson })
  async updateMemberSchemeRoles(
    @CurrentUser() caller: User,
    @Param('channel_id') channelId: string,
    @UserIdParam() userId: string,
    @Body() body: SchemeRolesBody,
  ): Promise<typeof OK> {
    await this.channels.updateMemberSchemeRoles(caller, channelId, userId, body);
    return OK;
  }

  @Get('channels/:channel_id/members/:user_id')
  @ApiOkResponse({ type: ChannelMemberJson })
  async getMember(
    @CurrentUser() caller: User,
    @Param('channel_id') channelId: string,
    @UserIdParam() userId: string,
  ): Promise<Record<string, unknown>> {
    return toChannelMemberJson(await this.channels.getMember(caller, channelId, userId));
  }

  /** Public, unarchived channels of the team. */
  @Get('teams/:team_id/channels')
  @ApiOkResponse({ type: [ChannelJson] })
  async publicChannels(
    @CurrentUser() caller: User,
    @Param('team_id') teamId: string,
    @Query() paging: PageQuery,
  ): Promise<Record<string, unknown>[]> {
    return (await this.channels.publicChannels(caller, teamId, paging.skip, paging.take)).map(toChannelJson);
  }

  /** Mattermost's `GET /teams/{id}/channels/private`: the team's private, unarchived channels, for system admins. */
  @Get('teams/:team_id/channels/private')
  @RequirePermission(Permission.ManageSystem)
  @ApiOkResponse({ type: [ChannelJson] })
  async privateChannels(@Param('team_id') teamId: string, @Query() paging: PageQuery): Promise<Record<string, unknown>[]> {
    return (await this.channels.privateChannels(teamId, paging.skip, paging.take)).map(toChannelJson);
  }

  /** Public channels of the team whose name or display name starts with `term` (at most 100), for team members. */
  @Post('teams/:team_id/channels/search')
  @HttpCode(200)
  @ApiOkResponse({ type: [ChannelJson] })
  async search(
    @CurrentUser() caller: User,
    @Param('team_id') teamId: string,
    @Body() body: SearchChannelsBody,
  ): Promise<Record<string, unknown>[]> {
    return (await this.channels.searchPublicChannels(caller, teamId, body.term)).map(toChannelJson);
  }

  @Get('teams/:team_id/channels/name/:channel_name')
  @ApiQuery({ name: 'include_deleted', required: false, type: Boolean })
  @ApiOkResponse({ type: ChannelJson })
  async getByName(
    @CurrentUser() caller: User,
    @Param('team_id') teamId: string,
    @Param('channel_name') name: string,
    @Query('include_deleted') includeDeleted?: string,
  ): Promise<Record<string, unknown>> {
    return toChannelJson(await this.channels.getByName(caller, teamId, name, flag(includeDeleted)));
  }

  @Get('teams/name/:team_name/channels/name/:channel_name')
  @ApiQuery({ name: 'include_deleted', required: false, type: Boolean })
  @ApiOkResponse({ type: ChannelJson })
  async getByTeamAndChannelName(
    @CurrentUser() caller: User,
    @Param('team_name') teamName: string,
    @Param('channel_name') name: string,
    @Query('include_deleted') includeDeleted?: string,
  ): Promise<Record<string, unknown>> {
    return toChannelJson(await this.channels.getByTeamAndChannelName(caller, teamName, name, flag(includeDeleted)));
  }

  /** The user's channels in the team plus their direct and group channels. */
  @Get('users/:user_id/teams/:team_id/channels')
  @ApiQuery({ name: 'include_deleted', required: false, type: Boolean })
  @ApiOkResponse({ type: [ChannelJson] })
  async channelsForUserInTeam(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
    @Query('include_deleted') includeDeleted?: string,
  ): Promise<Record<string, unknown>[]> {
    return (await this.channels.channelsForUserInTeam(caller, userId, teamId, flag(includeDeleted))).map(toChannelJson);
  }

  /** All channels of the user, across teams. */
  @Get('users/:user_id/channels')
  @ApiQuery({ name: 'include_deleted', required: false, type: Boolean })
  @ApiOkResponse({ type: [ChannelJson] })
  async channelsForUser(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Query('include_deleted') includeDeleted?: string,
  ): Promise<Record<string, unknown>[]> {
    return (await this.channels.channelsForUser(caller, userId, flag(includeDeleted))).map(toChannelJson);
  }
}
