import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString } from 'class-validator';

/*
 * Request bodies and the OpenAPI shapes of the shared-channel REST answers (protocol §2.3, §10). The answers
 * themselves are the bus contracts' JSON, passed through; these classes only describe them.
 */

/** Optional body of `POST /remotecluster/{remote_id}/channels/{channel_id}/invite` (our extension). */
export class InviteRemoteBody {
  @ApiPropertyOptional({ description: 'Our extension: the remote may read but not post; absent means false', default: false })
  @IsOptional()
  @IsBoolean()
  readonly?: boolean;
}

/** Answer of the invite routes: Mattermost's `{status: "OK"}` and our note about pending connections. */
export class InviteRemoteResultDoc {
  @ApiProperty({ example: 'OK' }) status: string;
  @ApiPropertyOptional({
    description:
      'Our extension, present (true) only when the connection is not accepted by the peer yet: the invitation is recorded and sent when it is',
  })
  connection_pending?: boolean;
  @ApiPropertyOptional({ description: 'Our extension: when connection_pending, a sentence saying so' }) message?: string;
}

/** Body of `POST /sharedchannels/invitations/{invitation_id}/accept`. */
export class AcceptInvitationBody {
  /** Required; optional here only so that the permission check answers before the 400. */
  @ApiProperty({ description: 'The local team in which the shared channel is created' })
  @IsOptional()
  @IsString()
  team_id?: string;
}

/** Mattermost `SharedChannel`. */
export class SharedChannelDoc {
  @ApiProperty({ description: 'The channel id' }) id: string;
  @ApiProperty() team_id: string;
  @ApiProperty({ description: 'The channel originates in this workspace' }) home: boolean;
  @ApiProperty() readonly: boolean;
  @ApiProperty() name: string;
  @ApiProperty() display_name: string;
  @ApiProperty() purpose: string;
  @ApiProperty() header: string;
  @ApiProperty() creator_id: string;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
  @ApiPropertyOptional({ description: 'When home is false: the connection that owns the channel' }) remote_id?: string;
}

/** Mattermost `SharedChannelRemote`: one channel shared with one connection. */
export class SharedChannelRemoteDoc {
  @ApiProperty() id: string;
  @ApiProperty() channel_id: string;
  @ApiProperty() creator_id: string;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
  @ApiProperty() delete_at: number;
  @ApiProperty() is_invite_accepted: boolean;
  @ApiProperty() is_invite_confirmed: boolean;
  @ApiProperty() remote_id: string;
  @ApiProperty() last_post_update_at: number;
  @ApiProperty({ description: 'Id of the post at the update cursor (Mattermost LastPostUpdateID)' }) last_post_id: string;
  @ApiProperty() last_post_create_at: number;
  @ApiProperty() last_post_create_id: string;
  @ApiProperty() last_members_sync_at: number;
  @ApiProperty({ description: 'Our extension: the connection is not accepted by the peer yet; the invitation is sent when it is' })
  connection_pending: boolean;
}

/** Mattermost `RemoteClusterInfo`: what any member may know about a connection. */
export class RemoteClusterInfoDoc {
  @ApiProperty() remote_id: string;
  @ApiProperty() name: string;
  @ApiProperty() display_name: string;
  @ApiProperty() create_at: number;
  @ApiProperty() delete_at: number;
  @ApiProperty() last_ping_at: number;
  @ApiPropertyOptional() site_url?: string;
  @ApiProperty({ description: 'Our extension: the peer has not accepted the connection yet (site_url is a placeholder)' })
  connection_pending: boolean;
}

/** A channel invitation received from a connection that does not auto-accept (our review mode). */
export class SharedChannelInvitationDoc {
  @ApiProperty() id: string;
  @ApiProperty() channel_id: string;
  @ApiProperty() remote_id: string;
  @ApiProperty({ enum: ['sent', 'received'] }) direction: string;
  @ApiProperty({ enum: ['pending', 'accepted', 'rejected', 'failed'] }) status: string;
  @ApiPropertyOptional() error?: string;
  @ApiProperty() creator_id: string;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
  @ApiProperty({ description: 'Channel name as the remote described it' }) name: string;
  @ApiProperty() display_name: string;
  @ApiProperty({ enum: ['O', 'P', 'D', 'G'] }) type: string;
  @ApiProperty() read_only: boolean;
  @ApiProperty() team_id: string;
}

/** Answer of `GET /sharedchannels/users/{user_id}/can_dm/{other_user_id}`. */
export class CanDirectMessageDoc {
  @ApiProperty({ description: 'A direct message with the other user can be opened' }) can_dm: boolean;
}

/** Our extension: a post a remote refused, kept for re-sending and for admins (`/sharedchannels/{channel_id}/errors`). */
export class SyncErrorDoc {
  @ApiProperty() id: string;
  @ApiProperty() channel_id: string;
  @ApiProperty({ description: 'The connection that refused the post' }) remote_id: string;
  @ApiProperty() post_id: string;
  @ApiProperty({ description: 'Why it is here; the protocol reports refused post ids without a reason' }) reason: string;
  @ApiProperty({ description: 'Deliveries the remote refused so far' }) attempts: number;
  @ApiProperty({ enum: ['retrying', 'failed'], description: 'retrying: sent again at next_retry_at; failed: waits for an admin' })
  state: string;
  @ApiProperty() next_retry_at: number;
  @ApiProperty() create_at: number;
  @ApiProperty() update_at: number;
}
