import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UsePipes } from '@nestjs/common';
import { Permission } from '@fedchat/chat';
import { Bus } from '@fedchat/common';
import { InviteRemote, ListChannelShares, SharedChannelRemoteJson, UninviteRemote } from '@fedchat/contracts';
import type { User } from '@fedchat/models';
import { ApiBearerAuth, ApiBody, ApiForbiddenResponse, ApiNoContentResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, RequirePermission } from '../auth/auth.guard';
import { PageQuery } from '../http/page-query';
import { apiValidationPipe } from '../http/validation';
import { OkJson } from '../users/users.dto';
import { InviteRemoteBody, InviteRemoteResultDoc, SharedChannelRemoteDoc } from './shared-channels.dto';
import { idParam, queryFlag } from './shared-channels.params';

const SHARE_FILTERS = ['include_unconfirmed', 'exclude_confirmed', 'exclude_home', 'exclude_remote', 'include_deleted'] as const;

/**
 * The channel side of a secure connection (`/api/v4/remotecluster/{remote_id}/…`, protocol §3.4): inviting a
 * connection to a channel, uninviting it, and listing what is shared with it. System permissions are required per route; the
 * shared-channel-sync app checks channels, connections and shares.
 */
@ApiTags('shared channels')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4/remotecluster')
export class RemoteClusterSharingController {
  constructor(private readonly bus: Bus) {}

  /** Shares the channel first when needed, then invites the connection; already invited is not an error. */
  @Post(':remote_id/channels/:channel_id/invite')
  @RequirePermission(Permission.ManageSecureConnections, Permission.ManageSharedChannels)
  @HttpCode(200)
  @ApiBody({ type: InviteRemoteBody, required: false })
  @ApiOkResponse({ type: InviteRemoteResultDoc })
  @ApiForbiddenResponse({ description: 'Without manage_secure_connections (reported as manage_shared_channels, as Mattermost does)' })
  async invite(
    @CurrentUser() user: User,
    @Param('remote_id') remoteId: string,
    @Param('channel_id') channelId: string,
    @Body() body: InviteRemoteBody,
  ): Promise<InviteRemoteResultDoc> {
    return inviteRemote(this.bus, user, remoteId, channelId, body);
  }

  /** 200 when the connection was removed from the channel; 204 without a body when it was not invited. */
  @Post(':remote_id/channels/:channel_id/uninvite')
  @RequirePermission(Permission.ManageSecureConnections, Permission.ManageSharedChannels)
  @ApiOkResponse({ type: OkJson })
  @ApiNoContentResponse({ description: 'The channel was not shared with that connection' })
  @ApiForbiddenResponse({ description: 'Without manage_secure_connections (reported as manage_shared_channels, as Mattermost does)' })
  async uninvite(
    @CurrentUser() user: User,
    @Param('remote_id') remoteId: string,
    @Param('channel_id') channelId: string,
    @Res() res: Response,
  ): Promise<void> {
    return uninviteRemote(this.bus, user, remoteId, channelId, res);
  }

  @Get(':remote_id/sharedchannelremotes')
  @RequirePermission(Permission.ManageSecureConnections)
  @ApiOkResponse({ type: [SharedChannelRemoteDoc] })
  @ApiQuery({ name: 'include_unconfirmed', required: false, type: Boolean })
  @ApiQuery({ name: 'exclude_confirmed', required: false, type: Boolean })
  @ApiQuery({ name: 'exclude_home', required: false, type: Boolean, description: 'Leave out channels that originate here' })
  @ApiQuery({ name: 'exclude_remote', required: false, type: Boolean, description: 'Leave out channels that originate elsewhere' })
  @ApiQuery({ name: 'include_deleted', required: false, type: Boolean })
  async sharedChannelRemotes(
    @Param('remote_id') remoteId: string,
    @Query() query: Record<string, string | undefined>,
    @Query() paging: PageQuery,
  ): Promise<SharedChannelRemoteJson[]> {
    idParam(remoteId, 'remote_id');
    const filters = Object.fromEntries(SHARE_FILTERS.map((key) => [key, queryFlag(query[key])])) as Record<
      (typeof SHARE_FILTERS)[number],
      boolean
    >;
    const { shares } = await this.bus.request(ListChannelShares, {
      remote_id: remoteId,
      ...filters,
      page: paging.page,
      per_page: paging.per_page,
    });
    return shares;
  }
}

/**
 * The paths written in Mattermost's sharedchannel service README (`/api/v4/channels/{channel_id}/remotes/{remote_id}/…`),
 * served as aliases of the real ones above, with the same permissions and answers.
 */
@ApiTags('shared channels')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@Controller('api/v4/channels')
export class ChannelRemotesAliasController {
  constructor(private readonly bus: Bus) {}

  @Post(':channel_id/remotes/:remote_id/invite')
  @RequirePermission(Permission.ManageSecureConnections, Permission.ManageSharedChannels)
  @HttpCode(200)
  @ApiBody({ type: InviteRemoteBody, required: false })
  @ApiOkResponse({ type: InviteRemoteResultDoc })
  @ApiForbiddenResponse({ description: 'Alias of POST /api/v4/remotecluster/{remote_id}/channels/{channel_id}/invite' })
  invite(
    @CurrentUser() user: User,
    @Param('remote_id') remoteId: string,
    @Param('channel_id') channelId: string,
    @Body() body: InviteRemoteBody,
  ): Promise<InviteRemoteResultDoc> {
    return inviteRemote(this.bus, user, remoteId, channelId, body);
  }

  @Post(':channel_id/remotes/:remote_id/uninvite')
  @RequirePermission(Permission.ManageSecureConnections, Permission.ManageSharedChannels)
  @ApiOkResponse({ type: OkJson })
  @ApiNoContentResponse({ description: 'Alias of POST /api/v4/remotecluster/{remote_id}/channels/{channel_id}/uninvite' })
  uninvite(
    @CurrentUser() user: User,
    @Param('remote_id') remoteId: string,
    @Param('channel_id') channelId: string,
    @Res() res: Response,
  ): Promise<void> {
    return uninviteRemote(this.bus, user, remoteId, channelId, res);
  }
}

async function inviteRemote(
  bus: Bus,
  user: User,
  remoteId: string,
  channelId: string,
  body: InviteRemoteBody | undefined,
): Promise<InviteRemoteResultDoc> {
  idParam(remoteId, 'remote_id');
  idParam(channelId, 'channel_id');
  const reply = await bus.request(InviteRemote, {
    actor_id: user.id,
    remote_id: remoteId,
    channel_id: channelId,
    readonly: body?.readonly ?? false,
  });
  // Mattermost's answer as it is, unless there is something to add.
  if (!reply.connection_pending) return { status: 'OK' };
  return { status: 'OK', connection_pending: true, message: PENDING_CONNECTION_NOTE };
}

/** What the invite answer says about a connection the peer has not accepted yet. */
export const PENDING_CONNECTION_NOTE =
  'The secure connection is not accepted yet: the invitation is recorded and will be sent when the connection is accepted.';

async function uninviteRemote(bus: Bus, user: User, remoteId: string, channelId: string, res: Response): Promise<void> {
  idParam(remoteId, 'remote_id');
  idParam(channelId, 'channel_id');
  const { changed } = await bus.request(UninviteRemote, { actor_id: user.id, remote_id: remoteId, channel_id: channelId });
  if (changed) res.status(200).json({ status: 'OK' });
  else res.status(204).end();
}
