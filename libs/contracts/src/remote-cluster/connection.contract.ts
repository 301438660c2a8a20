import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsOptional, IsString, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { defineEvent, defineRpc } from '../contract';

/** Mattermost's RemoteCluster JSON as REST answers it: `token` and `remote_token` present but always empty. */
export class RemoteClusterJson {
  @IsString() remote_id: string;
  @IsString() remote_team_id: string;
  @IsString() name: string;
  @IsString() display_name: string;
  @IsString() site_url: string;
  @IsString() default_team_id: string;
  @IsInt() create_at: number;
  @IsInt() delete_at: number;
  @IsInt() last_ping_at: number;
  @IsInt() last_global_user_sync_at: number;
  @IsString() token: string;
  @IsString() remote_token: string;
  @IsString() topics: string;
  @IsString() creator_id: string;
  @IsString() plugin_id: string;
  @IsInt() options: number;
  /** Our extension: incoming channel invitations from this connection are accepted at once (else they wait for review). */
  @IsBoolean() auto_accept_channel_invites: boolean;
}

/** Mattermost's rule for connection names: letters, digits, '.', '-', '_', 1–64. */
export const REMOTE_NAME_PATTERN = /^[a-zA-Z0-9.\-_]+$/;

export class CreateConnectionRequest {
  @IsString() @Length(1, 64) @Matches(REMOTE_NAME_PATTERN) name: string;
  @IsString() @MaxLength(64) display_name: string;
  @IsString() default_team_id: string;
  /** Empty: the server makes one and returns it. */
  @IsString() @MaxLength(128) password: string;
  @IsString() creator_id: string;
  /** Our extension: accept incoming channel invitations at once (default) or hold them for review. */
  @IsOptional() @IsBoolean() auto_accept_channel_invites?: boolean;
}

export class CreateConnectionReply {
  @ValidateNested() @Type(() => RemoteClusterJson) remote_cluster: RemoteClusterJson;
  @IsString() invite: string;
  @IsOptional() @IsString() password?: string;
}

export class AcceptInviteRequest {
  @IsString() @Length(1, 64) @Matches(REMOTE_NAME_PATTERN) name: string;
  @IsString() @MaxLength(64) display_name: string;
  @IsString() default_team_id: string;
  @IsString() @MaxLength(8192) invite: string;
  @IsString() @MaxLength(128) password: string;
  @IsString() creator_id: string;
  /** Our extension, as in CreateConnectionRequest. */
  @IsOptional() @IsBoolean() auto_accept_channel_invites?: boolean;
}

export class GenerateInviteRequest {
  @IsString() remote_id: string;
  @IsString() @Length(1, 128) password: string;
}

export class GenerateInviteReply {
  @IsString() invite: string;
}

export class ConnectionIdRequest {
  @IsString() remote_id: string;
}

export class PatchConnectionRequest {
  @IsString() remote_id: string;
  @IsOptional() @IsString() @MaxLength(64) display_name?: string;
  @IsOptional() @IsString() default_team_id?: string;
  @IsOptional() @IsBoolean() auto_accept_channel_invites?: boolean;
}

export class ListConnectionsRequest {
  @IsOptional() @IsBoolean() exclude_offline?: boolean;
  @IsOptional() @IsBoolean() only_confirmed?: boolean;
  @IsOptional() @IsBoolean() include_deleted?: boolean;
  @IsOptional() @IsBoolean() exclude_plugins?: boolean;
  @IsOptional() @IsBoolean() only_plugins?: boolean;
  @IsOptional() @IsString() creator_id?: string;
  @IsOptional() @IsString() topic?: string;
  @IsOptional() @IsString() in_channel?: string;
  @IsOptional() @IsString() not_in_channel?: string;
  @IsOptional() @IsInt() page?: number;
  @IsOptional() @IsInt() per_page?: number;
}

export class ConnectionListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => RemoteClusterJson) remote_clusters: RemoteClusterJson[];
}

export class OkReply {
  @IsString() status: string;
}

/** The connection CRUD of `/api/v4/remotecluster`, answered by the remote-cluster app. */
export const CreateConnection = defineRpc('remote-cluster.connection.create', CreateConnectionRequest, CreateConnectionReply);
/**
 * Waits for the invitation's key derivation (queued behind other accepts: they run a few at a time) and the inviting
 * site's confirmation (PeerClient's PING_TIMEOUT_MS, 15 s); a gateway that gave up first would answer an error for a
 * connection that is then made.
 */
export const AcceptInvite = defineRpc('remote-cluster.connection.accept-invite', AcceptInviteRequest, RemoteClusterJson, {
  timeoutMs: 60_000,
});
export const GenerateInvite = defineRpc('remote-cluster.connection.generate-invite', GenerateInviteRequest, GenerateInviteReply);
export const GetConnection = defineRpc('remote-cluster.connection.get', ConnectionIdRequest, RemoteClusterJson);
export const ListConnections = defineRpc('remote-cluster.connection.list', ListConnectionsRequest, ConnectionListReply);
export const PatchConnection = defineRpc('remote-cluster.connection.patch', PatchConnectionRequest, RemoteClusterJson);
export const DeleteConnection = defineRpc('remote-cluster.connection.delete', ConnectionIdRequest, OkReply);

export class ConnectionStateChanged {
  @IsString() remote_id: string;
  @IsBoolean() online: boolean;
  @IsInt() at: number;
}

export class ConnectionDeleted {
  @IsString() remote_id: string;
}

/** A remote went online or offline (once per transition): pending invites, catch-up sync and user sync react. */
export const ConnectionStateChangedEvent = defineEvent('remote-cluster.connection.state-changed', ConnectionStateChanged, 'one');
/** A connection was deleted: its shares end. */
export const ConnectionDeletedEvent = defineEvent('remote-cluster.connection.deleted', ConnectionDeleted, 'one');

export class ConnectionConfirmed {
  @IsString() remote_id: string;
}

/**
 * The peer accepted an invitation this server made (the pending connection is confirmed, once): channel
 * invitations recorded while it was pending are sent now.
 */
export const ConnectionConfirmedEvent = defineEvent('remote-cluster.connection.confirmed', ConnectionConfirmed, 'one');

export class ConnectionChanged {
  @IsString() remote_id: string;
}

/**
 * `remote-cluster.connection.changed`: a connection row was inserted, changed or deleted (committed). Delivered to
 * every process (`all`); each drops its cached row of that connection, so the change applies to the next message to
 * the peer and the peer's next request there.
 */
export const ConnectionChangedEvent = defineEvent('remote-cluster.connection.changed', ConnectionChanged, 'all');
