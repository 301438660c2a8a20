import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UsePipes } from '@nestjs/common';
import { ChannelAccess, hasPermission, Permission } from '@fedchat/chat';
import { AppError, Bus } from '@fedchat/common';
import {
  DecideInvitation,
  DiscardSyncError,
  GetRemoteInfo,
  ListChannelRemotes,
  ListInvitations,
  ListSharedChannels,
  ListSyncErrors,
  RemoteClusterInfoJson,
  RetrySyncError,
  SharedChannelInvitationJson,
  SharedChannelJson,
  SyncErrorJson,
} from '@fedchat/contracts';
import { TeamMember, type User } from '@fedchat/models';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CurrentUser, RequirePermission } from '../auth/auth.guard';
import { PageQuery } from '../http/page-query';
import { UserIdParam } from '../http/user-id-param';
import { apiValidationPipe } from '../http/validation';
import { DirectMessagePolicy } from './direct-message-policy.service';
import {
  AcceptInvitationBody,
  CanDirectMessageDoc,
  RemoteClusterInfoDoc,
  SharedChannelDoc,
  SharedChannelInvitationDoc,
  SyncErrorDoc,
} from './shared-channels.dto';
import { idParam, queryFlag } from './shared-channels.params';

const INVITATION_STATUSES = ['pending', 'accepted', 'rejected', 'failed'];

/**
 * `/api/v4/sharedchannels` (protocol §3.4, §10) plus our invitation review. One controller so that the fixed
 * paths are declared, and therefore matched, before the `{team_id}` and `{channel_id}/remotes` captures:
 * keep `users/…`, `invitations…` and `remote_info/…` above them.
 */
@ApiTags('shared channels')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4/sharedchannels')
export class SharedChannelsController {
  constructor(
    private readonly bus: Bus,
    private readonly access: ChannelAccess,
    @InjectRepository(TeamMember) private readonly teamMembers: Repository<TeamMember>,
    private readonly directMessages: DirectMessagePolicy,
  ) {}

  /**
   * Whether `user_id` can open a direct message with `other_user_id` (Mattermost `canUserDirectMessage`; any
   * logged-in user may ask, as there). A remote user qualifies only when DMs with remote users are on and the
   * user's own workspace is directly connected.
   */
  @Get('users/:user_id/can_dm/:other_user_id')
  @ApiOkResponse({ type: CanDirectMessageDoc })
  async canDirectMessage(@UserIdParam() _userId: string, @Param('other_user_id') otherUserId: string): Promise<{ can_dm: boolean }> {
    idParam(otherUserId, 'other_user_id');
    return { can_dm: await this.directMessages.canDirectMessage(otherUserId) };
  }

  /** Our extension: channel invitations received from connections that do not auto-accept them. */
  @Get('invitations')
  @RequirePermission(Permission.ManageSharedChannels)
  @ApiQuery({ name: 'status', required: false, enum: INVITATION_STATUSES })
  @ApiOkResponse({ type: [SharedChannelInvitationDoc] })
  async invitations(@Query('status') status?: string): Promise<SharedChannelInvitationJson[]> {
    if (status !== undefined && !INVITATION_STATUSES.includes(status)) throw AppError.invalidParam('status');
    return (await this.bus.request(ListInvitations, status === undefined ? {} : { status })).invitations;
  }

  /** Our extension: accepts a pending invitation, creating the channel in the given team. */
  @Post('invitations/:invitation_id/accept')
  @RequirePermission(Permission.ManageSharedChannels)
  @HttpCode(200)
  @ApiBody({ type: AcceptInvitationBody })
  @ApiOkResponse({ type: SharedChannelInvitationDoc })
  async acceptInvitation(
    @CurrentUser() user: User,
    @Param('invitation_id') invitationId: string,
    @Body() body: AcceptInvitationBody,
  ): Promise<SharedChannelInvitationJson> {
    idParam(invitationId, 'invitation_id');
    const teamId = idParam(body?.team_id, 'team_id');
    return this.bus.request(DecideInvitation, { actor_id: user.id, invitation_id: invitationId, team_id: teamId });
  }

  /** Our extension: declines a pending invitation; the remote is told. */
  @Post('invitations/:invitation_id/decline')
  @RequirePermission(Permission.ManageSharedChannels)
  @HttpCode(200)
  @ApiOkResponse({ type: SharedChannelInvitationDoc })
  async declineInvitation(@CurrentUser() user: User, @Param('invitation_id') invitationId: string): Promise<SharedChannelInvitationJson> {
    idParam(invitationId, 'invitation_id');
    return this.bus.request(DecideInvitation, { actor_id: user.id, invitation_id: invitationId });
  }

  /** Any logged-in user; without manage_shared_channels only for a connection sharing a channel the caller is in. */
  @Get('remote_info/:remote_id')
  @ApiQuery({ name: 'include_deleted', required: false, type: Boolean })
  @ApiOkResponse({ type: RemoteClusterInfoDoc })
  async remoteInfo(
    @CurrentUser() user: User,
    @Param('remote_id') remoteId: string,
    @Query('include_deleted') includeDeleted?: string,
  ): Promise<RemoteClusterInfoJson> {
    idParam(remoteId, 'remote_id');
    return this.bus.request(GetRemoteInfo, {
      remote_id: remoteId,
      include_deleted: queryFlag(includeDeleted),
      ...(hasPermission(user.roles, Permission.ManageSharedChannels) ? {} : { member_id: user.id }),
    });
  }

  /** The connections a channel is shared with; needs read access to the channel. */
  @Get(':channel_id/remotes')
  @ApiOkResponse({ type: [RemoteClusterInfoDoc] })
  async channelRemotes(@CurrentUser() user: User, @Param('channel_id') channelId: string): Promise<RemoteClusterInfoJson[]> {
    const channel = await this.access.requireRead(user, channelId);
    return (await this.bus.request(ListChannelRemotes, { channel_id: channel.id })).remotes;
  }

  /** Our extension: posts remotes refused in this channel, newest first (admins of shared channels). */
  @Get(':channel_id/errors')
  @RequirePermission(Permission.ManageSharedChannels)
  @ApiOkResponse({ type: [SyncErrorDoc] })
  async syncErrors(@Param('channel_id') channelId: string, @Query() paging: PageQuery): Promise<SyncErrorJson[]> {
    idParam(channelId, 'channel_id');
    const reply = await this.bus.request(ListSyncErrors, { channel_id: channelId, page: paging.page, per_page: paging.per_page });
    return reply.errors;
  }

  /** Our extension: sends a refused post again now (one more attempt). */
  @Post(':channel_id/errors/:error_id/retry')
  @RequirePermission(Permission.ManageSharedChannels)
  @HttpCode(200)
  @ApiOkResponse({ type: SyncErrorDoc })
  async retrySyncError(@Param('channel_id') channelId: string, @Param('error_id') errorId: string): Promise<SyncErrorJson> {
    return this.bus.request(RetrySyncError, { channel_id: idParam(channelId, 'channel_id'), error_id: idParam(errorId, 'error_id') });
  }

  /** Our extension: gives up on a refused post (it is not sent again unless it changes). */
  @Delete(':channel_id/errors/:error_id')
  @RequirePermission(Permission.ManageSharedChannels)
  @ApiOkResponse({ type: SyncErrorDoc })
  async discardSyncError(@Param('channel_id') channelId: string, @Param('error_id') errorId: string): Promise<SyncErrorJson> {
    return this.bus.request(DiscardSyncError, { channel_id: idParam(channelId, 'channel_id'), error_id: idParam(errorId, 'error_id') });
  }

  /** The team's shared channels; members without manage_shared_channels see only the channels they belong to. */
  @Get(':team_id')
  @ApiOkResponse({ type: [SharedChannelDoc] })
  async sharedChannels(
    @CurrentUser() user: User,
    @Param('team_id') teamId: string,
    @Query() paging: PageQuery,
  ): Promise<SharedChannelJson[]> {
    idParam(teamId, 'team_id');
    const teamMember = await this.teamMembers.existsBy({ team_id: teamId, user_id: user.id, delete_at: 0 });
    if (!teamMember && !hasPermission(user.roles, Permission.ManageTeam)) throw AppError.forbidden('view_team');
    const { channels } = await this.bus.request(ListSharedChannels, {
      team_id: teamId,
      ...(hasPermission(user.roles, Permission.ManageSharedChannels) ? {} : { member_id: user.id }),
      page: paging.page,
      per_page: paging.per_page,
    });
    return channels;
  }
}
