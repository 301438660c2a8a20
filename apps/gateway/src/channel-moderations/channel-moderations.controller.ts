import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { Permission } from '@fedchat/chat';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/auth.guard';
import { ChannelModerationJson, ChannelModerationPatchJson, parseModerationsPatch } from './channel-moderations.dto';
import { ChannelModerationsService } from './channel-moderations.service';

/**
 * Channel moderations (Mattermost's System Console → Channels → Channel Moderation); like Mattermost's console
 * routes they need manage_system.
 */
@ApiTags('channels')
@ApiBearerAuth()
@RequirePermission(Permission.ManageSystem)
@Controller('api/v4/channels/:channel_id/moderations')
export class ChannelModerationsController {
  constructor(private readonly moderations: ChannelModerationsService) {}

  @Get()
  @ApiOkResponse({ type: [ChannelModerationJson] })
  async get(@Param('channel_id') channelId: string): Promise<ChannelModerationJson[]> {
    return this.moderations.get(channelId);
  }

  @Put('patch')
  @ApiBody({ type: [ChannelModerationPatchJson] })
  @ApiOkResponse({ type: [ChannelModerationJson] })
  async patch(@Param('channel_id') channelId: string, @Body() body: unknown): Promise<ChannelModerationJson[]> {
    return this.moderations.patch(channelId, parseModerationsPatch(body));
  }

  /** The path the Connected Workspaces documentation writes (`PUT /channels/{id}/moderations`): the same patch. */
  @Put()
  @ApiOperation({ summary: 'Alias of PUT /channels/{channel_id}/moderations/patch' })
  @ApiBody({ type: [ChannelModerationPatchJson] })
  @ApiOkResponse({ type: [ChannelModerationJson] })
  async patchAlias(@Param('channel_id') channelId: string, @Body() body: unknown): Promise<ChannelModerationJson[]> {
    return this.moderations.patch(channelId, parseModerationsPatch(body));
  }
}
