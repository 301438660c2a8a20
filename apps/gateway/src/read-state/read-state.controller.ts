import { Body, Controller, Get, HttpCode, Param, Post, Query, UsePipes } from '@nestjs/common';
import { toChannelMemberJson } from '@fedchat/chat';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@fedchat/models';
import { CurrentUser } from '../auth/auth.guard';
import { ChannelMemberJson } from '../channels/channels.dto';
import { PageQuery } from '../http/page-query';
import { UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import { ChannelMemberWithTeamJson, ChannelStatsJson, ChannelUnreadJson, ChannelViewBody, ChannelViewJson } from './read-state.dto';
import { ReadStateService } from './read-state.service';

/** Channel read state: memberships with their counters, viewing channels, unread counts, channel statistics. */
@ApiTags('channels')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4')
export class ReadStateController {
  constructor(private readonly readState: ReadStateService) {}

  /** The user's memberships in the team's channels and in their direct and group channels. */
  @Get('users/:user_id/teams/:team_id/channels/members')
  @ApiOkResponse({ type: [ChannelMemberJson] })
  async membersInTeam(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('team_id') teamId: string,
  ): Promise<Record<string, unknown>[]> {
    return (await this.readState.membersInTeam(caller, userId, teamId)).map(toChannelMemberJson);
  }

  /** Every membership of the user, a page at a time, with the team of each channel ('' for direct and group channels). */
  @Get('users/:user_id/channel_members')
  @ApiOkResponse({ type: [ChannelMemberWithTeamJson] })
  async membersOfUser(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Query() paging: PageQuery,
  ): Promise<Record<string, unknown>[]> {
    const rows = await this.readState.membersOfUser(caller, userId, paging.skip, paging.take);
    return rows.map(({ member, ...team }) => ({ ...toChannelMemberJson(member), ...team }));
  }

  /** Marks the channel (and `prev_channel_id`) read; events `multiple_channels_viewed` and `channel_viewed`. */
  @Post('channels/members/:user_id/view')
  @HttpCode(200)
  @ApiOkResponse({ type: ChannelViewJson })
  async view(@CurrentUser() caller: User, @UserIdParam() userId: string, @Body() body: ChannelViewBody): Promise<ChannelViewJson> {
    const times = await this.readState.view(caller, userId, {
      channel_id: body.channel_id ?? '',
      prev_channel_id: body.prev_channel_id ?? '',
      collapsed_threads_supported: body.collapsed_threads_supported ?? false,
    });
    return { status: 'OK', last_viewed_at_times: times };
  }

  @Get('users/:user_id/channels/:channel_id/unread')
  @ApiOkResponse({ type: ChannelUnreadJson })
  async unread(
    @CurrentUser() caller: User,
    @UserIdParam() userId: string,
    @Param('channel_id') channelId: string,
  ): Promise<Record<string, unknown>> {
    return this.readState.unread(caller, userId, channelId);
  }

  @Get('channels/:channel_id/stats')
  @ApiOkResponse({ type: ChannelStatsJson })
  async stats(@CurrentUser() caller: User, @Param('channel_id') channelId: string): Promise<Record<string, unknown>> {
    return this.readState.stats(caller, channelId);
  }
}
