import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res, UsePipes } from '@nestjs/common';
import { Permission } from '@fedchat/chat';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { AppError, Bus } from '@fedchat/common';
import {
  AcceptInvite,
  CreateConnection,
  DeleteConnection,
  GenerateInvite,
  GetConnection,
  GetGlobalUserSyncProgress,
  GetSyncHealth,
  GetTransferHealth,
  ListConnections,
  PatchConnection,
  REMOTE_NAME_PATTERN,
  RemoteClusterJson,
  RestartGlobalUserSync,
} from '@fedchat/contracts';
import type { User } from '@fedchat/models';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import type { Response } from 'express';
import { CurrentUser, RequirePermission } from '../auth/auth.guard';
import { PageQuery } from '../http/page-query';
import { apiValidationPipe } from '../http/validation';
import { MAX_SHARES_ON_CREATE, SharesOnCreate } from './shares-on-create.service';

export class CreateRemoteClusterBody {
  @ApiProperty() @IsString() @Length(1, 64) @Matches(REMOTE_NAME_PATTERN) name: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) display_name?: string;
  @ApiPropertyOptional({ description: 'Required unless auto_accept_channel_invites is false' })
  @IsOptional()
  @IsString()
  default_team_id?: string;
  @ApiPropertyOptional({ description: 'Generated and returned when empty' }) @IsOptional() @IsString() @MaxLength(128) password?: string;
  @ApiPropertyOptional({
    description:
      'Our extension: accept incoming channel invitations at once into default_team_id (default true), or hold them for review (false; then default_team_id may be empty)',
  })
  @IsOptional()
  @IsBoolean()
  auto_accept_channel_invites?: boolean;
  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_SHARES_ON_CREATE,
    description:
      'Our extension: ids of channels to share with the new connection. Each must be a team channel (not a direct or group message) in a team where the caller has manage_shared_channels; the invitations are recorded and sent when the peer accepts the connection. If one is refused, no connection is created.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_SHARES_ON_CREATE)
  @IsString({ each: true })
  share_channel_ids?: string[];
}

export class AcceptInviteBody {
  @ApiProperty() @IsString() @Length(1, 64) @Matches(REMOTE_NAME_PATTERN) name: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) display_name?: string;
  @ApiPropertyOptional({ description: 'Required unless auto_accept_channel_invites is false' })
  @IsOptional()
  @IsString()
  default_team_id?: string;
  @ApiProperty() @IsString() @MaxLength(8192) invite: string;
  @ApiProperty() @IsString() @MaxLength(128) password: string;
  @ApiPropertyOptional({
    description:
      'Our extension: accept incoming channel invitations at once into default_team_id (default true), or hold them for review (false; then default_team_id may be empty)',
  })
  @IsOptional()
  @IsBoolean()
  auto_accept_channel_invites?: boolean;
}

export class GenerateInviteBody {
  @ApiProperty() @IsString() @MaxLength(128) password: string;
}

export class PatchRemoteClusterBody {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) display_name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() default_team_id?: string;
  @ApiPropertyOptional({ description: 'Our extension: accept incoming channel invitations at once (true) or hold them for review' })
  @IsOptional()
  @IsBoolean()
  auto_accept_channel_invites?: boolean;
}

export class RemoteClusterDoc {
  @ApiProperty() remote_id: string;
  @ApiProperty() name: string;
  @ApiProperty() display_name: string;
  @ApiProperty() site_url: string;
  @ApiProperty() default_team_id: string;
  @ApiProperty() create_at: number;
  @ApiProperty() delete_at: number;
  @ApiProperty() last_ping_at: number;
  @ApiProperty({ description: 'always empty' }) token: string;
  @ApiProperty({ description: 'always empty' }) remote_token: string;
  @ApiProperty({ description: 'Our extension: incoming channel invitations are accepted at once (true) or held for review' })
  auto_accept_channel_invites: boolean;
}

export class RemoteClusterWithInviteDoc {
  @ApiProperty({ type: RemoteClusterDoc }) remote_cluster: RemoteClusterDoc;
  @ApiProperty() invite: string;
  @ApiPropertyOptional({ description: 'Only when the server generated it' }) password?: string;
  @ApiPropertyOptional({
    type: [String],
    description: 'Our extension, when share_channel_ids was given: the channels whose invitations wait for the peer to accept',
  })
  shared_channel_ids?: string[];
}

export class GlobalUserSyncProgressDoc {
  @ApiProperty() remote_id: string;
  @ApiProperty({ description: 'local users this cluster has' }) users_total: number;
  @ApiProperty({ description: 'local users sent so far in this pass' }) users_sent: number;
  @ApiProperty() in_progress: boolean;
}

export class ConnectionHealthDoc {
  @ApiProperty() remote_id: string;
  @ApiProperty({ description: 'shared channels of this connection with changes not yet delivered to it' }) queue_size: number;
  @ApiProperty({ description: 'age in milliseconds of the oldest post change not yet delivered to it; 0 when nothing waits' })
  lag_ms: number;
  @ApiProperty({ description: 'posts it refused, kept for re-sending or for an admin (see /sharedchannels/{channel_id}/errors)' })
  refused_items: number;
  @ApiProperty({ description: 'attachments waiting to be sent to it' }) file_transfers_pending: number;
}

const BOOLEAN_FILTERS = ['exclude_offline', 'only_confirmed', 'include_deleted', 'exclude_plugins', 'only_plugins'] as const;

/** `/api/v4/remotecluster` for system admins (manage_secure_connections); the remote-cluster app does the work. */
@ApiTags('remote clusters')
@ApiBearerAuth()
@UsePipes(apiValidationPipe)
@RequirePermission(Permission.ManageSecureConnections)
@Controller('api/v4/remotecluster')
export class RemoteClusterAdminController {
  constructor(
    private readonly bus: Bus,
    private readonly sharesOnCreate: SharesOnCreate,
  ) {}

  @Get()
  @ApiOkResponse({ type: [RemoteClusterDoc] })
  async list(@Query() query: Record<string, string>, @Query() paging: PageQuery): Promise<RemoteClusterJson[]> {
    const filters: Record<string, unknown> = { page: paging.page, per_page: paging.per_page };
    for (const key of BOOLEAN_FILTERS) if (query[key] !== undefined) filters[key] = query[key] === 'true';
    for (const key of ['creator_id', 'topic', 'in_channel', 'not_in_channel'] as const) if (query[key]) filters[key] = query[key];
    return (await this.bus.request(ListConnections, filters)).remote_clusters;
  }

  @Post()
  @ApiCreatedResponse({ type: RemoteClusterWithInviteDoc })
  async create(@CurrentUser() user: User, @Body() body: CreateRemoteClusterBody) {
    requireTeamUnlessReview(body);
    // Checked before the connection exists: a refused channel creates nothing.
    const channels = body.share_channel_ids ? await this.sharesOnCreate.resolve(user, body.share_channel_ids, 'share_channel_ids') : [];
    const created = await this.bus.request(CreateConnection, {
      name: body.name,
      display_name: body.display_name ?? '',
      default_team_id: body.default_team_id ?? '',
      password: body.password ?? '',
      creator_id: user.id,
      auto_accept_channel_invites: body.auto_accept_channel_invites,
    });
    if (!body.share_channel_ids) return created;
    await this.sharesOnCreate.share(user, created, channels);
    return { ...created, shared_channel_ids: channels.map((c) => c.id) };
  }

  @Post('accept_invite')
  @ApiCreatedResponse({ type: RemoteClusterDoc })
  async acceptInvite(@CurrentUser() user: User, @Body() body: AcceptInviteBody): Promise<RemoteClusterJson> {
    requireTeamUnlessReview(body);
    return this.bus.request(AcceptInvite, {
      ...body,
      display_name: body.display_name ?? '',
      default_team_id: body.default_team_id ?? '',
      creator_id: user.id,
    });
  }

  /** Answers the code as a JSON string followed by a newline, as Mattermost's encoder does. */
  @Post(':remote_id/generate_invite')
  @ApiBody({ type: GenerateInviteBody })
  @ApiCreatedResponse({ schema: { type: 'string' } })
  async generateInvite(@Param('remote_id') remoteId: string, @Body() body: GenerateInviteBody, @Res() res: Response) {
    if (!body.password) throw AppError.invalidParam('password');
    const { invite } = await this.bus.request(GenerateInvite, { remote_id: remoteId, password: body.password });
    res
      .status(201)
      .type('application/json')
      .send(`${JSON.stringify(invite)}\n`);
  }

  /** Our extension: a manual full global user sync with one connection (every local user is sent again). */
  @Post(':remote_id/sync_users')
  @HttpCode(200)
  @ApiOkResponse({ type: GlobalUserSyncProgressDoc })
  syncUsers(@Param('remote_id') remoteId: string) {
    return this.bus.request(RestartGlobalUserSync, { remote_id: remoteId });
  }

  @Get(':remote_id/sync_users')
  @ApiOkResponse({ type: GlobalUserSyncProgressDoc })
  syncUsersProgress(@Param('remote_id') remoteId: string) {
    return this.bus.request(GetGlobalUserSyncProgress, { remote_id: remoteId });
  }

  /** Our extension, read-only: the sync backlog of one connection, as the console's connection list shows it. */
  @Get(':remote_id/health')
  @ApiOkResponse({ type: ConnectionHealthDoc })
  async health(@Param('remote_id') remoteId: string): Promise<ConnectionHealthDoc> {
    // 404 for an unknown or deleted connection, as the other routes answer.
    await this.bus.request(GetConnection, { remote_id: remoteId });
    const [sync, transfers] = await Promise.all([
      this.bus.request(GetSyncHealth, { remote_id: remoteId }),
      this.bus.request(GetTransferHealth, { remote_id: remoteId }),
    ]);
    return {
      remote_id: remoteId,
      queue_size: sync.queue_size,
      lag_ms: sync.oldest_pending_at ? Math.max(0, Date.now() - sync.oldest_pending_at) : 0,
      refused_items: sync.refused_items,
      file_transfers_pending: transfers.pending,
    };
  }

  @Get(':remote_id')
  @ApiOkResponse({ type: RemoteClusterDoc })
  async get(@Param('remote_id') remoteId: string): Promise<RemoteClusterJson> {
    return this.bus.request(GetConnection, { remote_id: remoteId });
  }

  @Patch(':remote_id')
  @ApiOkResponse({ type: RemoteClusterDoc })
  async patch(@Param('remote_id') remoteId: string, @Body() body: PatchRemoteClusterBody): Promise<RemoteClusterJson> {
    return this.bus.request(PatchConnection, { remote_id: remoteId, ...body });
  }

  @Delete(':remote_id')
  @HttpCode(200)
  async delete(@Param('remote_id') remoteId: string): Promise<{ status: string }> {
    return this.bus.request(DeleteConnection, { remote_id: remoteId });
  }
}

/** Auto-accepting connections need a team for the channels they receive; review-mode ones choose per channel. */
function requireTeamUnlessReview(body: { default_team_id?: string; auto_accept_channel_invites?: boolean }): void {
  if (!body.default_team_id && body.auto_accept_channel_invites !== false) throw AppError.invalidParam('default_team_id');
}
