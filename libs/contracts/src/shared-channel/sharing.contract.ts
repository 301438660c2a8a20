import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { defineEvent, defineRpc } from '../contract';

/**
 * The sharing lifecycle, answered by the shared-channel-sync app. The gateway checks the caller's permissions and
 * passes the acting user's id; the app checks everything about channels, connections and shares.
 */

/** Mattermost `SharedChannel` JSON (protocol §2.3). */
export class SharedChannelJson {
  @IsString() id: string;
  @IsString() team_id: string;
  @IsBoolean() home: boolean;
  @IsBoolean() readonly: boolean;
  @IsString() name: string;
  @IsString() display_name: string;
  @IsString() purpose: string;
  @IsString() header: string;
  @IsString() creator_id: string;
  @IsInt() create_at: number;
  @IsInt() update_at: number;
  @IsOptional() @IsString() remote_id?: string;
}

/** Mattermost `SharedChannelRemote` JSON (protocol §2.3; note `last_post_id` for the update cursor's id). */
export class SharedChannelRemoteJson {
  @IsString() id: string;
  @IsString() channel_id: string;
  @IsString() creator_id: string;
  @IsInt() create_at: number;
  @IsInt() update_at: number;
  @IsInt() delete_at: number;
  @IsBoolean() is_invite_accepted: boolean;
  @IsBoolean() is_invite_confirmed: boolean;
  @IsString() remote_id: string;
  @IsInt() last_post_update_at: number;
  @IsString() last_post_id: string;
  @IsInt() last_post_create_at: number;
  @IsString() last_post_create_id: string;
  @IsInt() last_members_sync_at: number;
  /** Our extension: the connection is not accepted by the peer yet; the invitation is sent when it is. */
  @IsBoolean() connection_pending: boolean;
}

/** Mattermost `RemoteClusterInfo`: what a non-admin may know about a connection. */
export class RemoteClusterInfoJson {
  @IsString() remote_id: string;
  @IsString() name: string;
  @IsString() display_name: string;
  @IsInt() create_at: number;
  @IsInt() delete_at: number;
  @IsInt() last_ping_at: number;
  @IsOptional() @IsString() site_url?: string;
  /** Our extension: the peer has not accepted the connection yet (its site_url is a placeholder). */
  @IsBoolean() connection_pending: boolean;
}

/** One row of `/share-channel status` (Mattermost `SharedChannelRemoteStatus`, without the token). */
export class SharedChannelRemoteStatusJson {
  @IsString() channel_id: string;
  @IsString() remote_id: string;
  @IsString() display_name: string;
  @IsString() site_url: string;
  @IsInt() last_ping_at: number;
  @IsInt() last_sync_at: number;
  @IsBoolean() readonly: boolean;
  @IsBoolean() is_invite_accepted: boolean;
  @IsBoolean() is_invite_confirmed: boolean;
  @IsBoolean() is_online: boolean;
  /** The connection is not accepted by the peer yet: the invitation waits for it. */
  @IsBoolean() connection_pending: boolean;
  /** Pending and past the invitation's lifetime: the peer can no longer accept it, so this invitation is never sent. */
  @IsBoolean() connection_expired: boolean;
}

/** A received channel invitation waiting for review (Mattermost's newest `SharedChannelInvitation`, direction 'received'). */
export class SharedChannelInvitationJson {
  @IsString() id: string;
  @IsString() channel_id: string;
  @IsString() remote_id: string;
  @IsIn(['sent', 'received']) direction: 'sent' | 'received';
  @IsIn(['pending', 'accepted', 'rejected', 'failed']) status: 'pending' | 'accepted' | 'rejected' | 'failed';
  @IsOptional() @IsString() error?: string;
  @IsString() creator_id: string;
  @IsInt() create_at: number;
  @IsInt() update_at: number;
  /** The invitation's channel as the remote described it. */
  @IsString() name: string;
  @IsString() display_name: string;
  @IsIn(['O', 'P', 'D', 'G']) type: string;
  @IsBoolean() read_only: boolean;
  @IsString() team_id: string;
}

export class InviteRemoteRequest {
  @IsString() actor_id: string;
  @IsString() remote_id: string;
  @IsString() channel_id: string;
  @IsBoolean() readonly: boolean;
}

export class InviteRemoteReply {
  /** The channel was not shared before this invitation. */
  @IsBoolean() newly_shared: boolean;
  /** The remote was already invited: nothing changed. */
  @IsBoolean() already_invited: boolean;
  /** Sent and accepted now; false when the remote is offline or failed (kept and retried). */
  @IsBoolean() delivered: boolean;
  /** The connection is not accepted by the peer yet: the invitation is recorded and sent when it is. */
  @IsBoolean() connection_pending: boolean;
  @IsString() remote_display_name: string;
  @IsString() remote_site_url: string;
}

export class ChannelRemoteRequest {
  @IsString() actor_id: string;
  @IsString() remote_id: string;
  @IsString() channel_id: string;
}

export class ChangedReply {
  /** False when there was nothing to change (e.g. the channel was not shared with that remote). */
  @IsBoolean() changed: boolean;
}

export class ChannelRequest {
  @IsString() actor_id: string;
  @IsString() channel_id: string;
}

export class ChannelShareStatusReply {
  @IsBoolean() shared: boolean;
  @IsBoolean() home: boolean;
  @IsArray() @ValidateNested({ each: true }) @Type(() => SharedChannelRemoteStatusJson) remotes: SharedChannelRemoteStatusJson[];
}

export class ListSharedChannelsRequest {
  @IsString() team_id: string;
  /** When set, only channels this user is a member of (callers without `manage_shared_channels`). */
  @IsOptional() @IsString() member_id?: string;
  @IsInt() page: number;
  @IsInt() per_page: number;
}

export class SharedChannelListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => SharedChannelJson) channels: SharedChannelJson[];
}

export class ChannelRemotesRequest {
  @IsString() channel_id: string;
}

export class RemoteInfoListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => RemoteClusterInfoJson) remotes: RemoteClusterInfoJson[];
}

export class RemoteInfoRequest {
  @IsString() remote_id: string;
  /** When set, the answer is 404 unless this user is a member of a channel shared with the remote. */
  @IsOptional() @IsString() member_id?: string;
  @IsBoolean() include_deleted: boolean;
}

export class ListChannelSharesRequest {
  @IsString() remote_id: string;
  @IsBoolean() include_unconfirmed: boolean;
  @IsBoolean() exclude_confirmed: boolean;
  @IsBoolean() exclude_home: boolean;
  @IsBoolean() exclude_remote: boolean;
  @IsBoolean() include_deleted: boolean;
  @IsInt() page: number;
  @IsInt() per_page: number;
}

export class SharedChannelRemoteListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => SharedChannelRemoteJson) shares: SharedChannelRemoteJson[];
}

export class ListInvitationsRequest {
  @IsOptional() @IsIn(['pending', 'accepted', 'rejected', 'failed']) status?: string;
}

export class InvitationListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => SharedChannelInvitationJson) invitations: SharedChannelInvitationJson[];
}

export class DecideInvitationRequest {
  @IsString() actor_id: string;
  @IsString() invitation_id: string;
  /** Accept into this team; absent: decline. */
  @IsOptional() @IsString() team_id?: string;
}

/**
 * The system bot's review post about an invitation (see InvitationPostAction): its actions name this integration,
 * which the suite answers itself; Mattermost's clients never see it (integrations are stripped from posts they get).
 */
export const INVITATION_REVIEW_INTEGRATION_URL = 'fedchat:shared-channel-invitation-review';

/** The ids of the review post's actions (Mattermost action ids: letters and digits). */
export const InvitationReviewAction = {
  /** The destination-team menu (`select`); its call carries `selected_option`, remembered until Accept. */
  ChooseTeam: 'destinationteam',
  Accept: 'accept',
  Decline: 'decline',
} as const;

export class InvitationPostActionRequest {
  /** The user who clicked; the gateway checked that they may read the post and hold `manage_shared_channels`. */
  @IsString() actor_id: string;
  @IsString() post_id: string;
  @IsString() action_id: string;
  @IsOptional() @IsString() selected_option?: string;
}

export class InvitationPostActionReply {
  @IsIn(['team_chosen', 'accepted', 'declined']) outcome: 'team_chosen' | 'accepted' | 'declined';
}

export class ShareDirectChannelRequest {
  /** The user who created the direct or group channel. */
  @IsString() actor_id: string;
  @IsString() channel_id: string;
}

export class ShareDirectChannelReply {
  /** Connections newly invited (one per connection of the channel's remote members); empty when nothing changed. */
  @IsArray() @IsString({ each: true }) invited: string[];
  /** Of those, the ones that accepted at once; the others are retried like any pending invitation. */
  @IsArray() @IsString({ each: true }) delivered: string[];
}

export const InviteRemote = defineRpc('shared-channel.remote.invite', InviteRemoteRequest, InviteRemoteReply);
export const UninviteRemote = defineRpc('shared-channel.remote.uninvite', ChannelRemoteRequest, ChangedReply);
export const UnshareChannel = defineRpc('shared-channel.channel.unshare', ChannelRequest, ChangedReply);
export const GetChannelShareStatus = defineRpc('shared-channel.channel.status', ChannelRequest, ChannelShareStatusReply);
export const ListSharedChannels = defineRpc('shared-channel.channel.list', ListSharedChannelsRequest, SharedChannelListReply);
export const ListChannelRemotes = defineRpc('shared-channel.channel.remotes', ChannelRemotesRequest, RemoteInfoListReply);
export const GetRemoteInfo = defineRpc('shared-channel.remote.info', RemoteInfoRequest, RemoteClusterInfoJson);
export const ListChannelShares = defineRpc('shared-channel.remote.shares', ListChannelSharesRequest, SharedChannelRemoteListReply);
export const ListInvitations = defineRpc('shared-channel.invitation.list', ListInvitationsRequest, InvitationListReply);
export const DecideInvitation = defineRpc('shared-channel.invitation.decide', DecideInvitationRequest, SharedChannelInvitationJson);
/** A click on the system bot's review post (Mattermost's DoPostAction for the suite's own integration). */
export const InvitationPostAction = defineRpc(
  'shared-channel.invitation.post-action',
  InvitationPostActionRequest,
  InvitationPostActionReply,
);
/** A direct or group channel with remote members was created: share it with their connections (flag EnableSharedChannelsDMs). */
export const ShareDirectChannel = defineRpc('shared-channel.direct.share', ShareDirectChannelRequest, ShareDirectChannelReply);

export class ChannelChanged {
  @IsString() channel_id: string;
}

/**
 * A shared channel's content changed (post, edit, delete, reaction, acknowledgement, received or local). Only a
 * doorbell: the durable record is the change stamp on the post itself, which sync replicas also find by polling.
 */
export const SharedChannelChangedEvent = defineEvent('shared-channel.channel.changed', ChannelChanged, 'one');

export class ChannelArchived {
  @IsString() channel_id: string;
}

/**
 * A shared channel was archived (emitted by the gateway after the archive committed). On the channel's home, the
 * sharing lifecycle ends the share everywhere: each remote is told (`sharedchannel_unshare` with `archived: true`).
 */
export const ChannelArchivedEvent = defineEvent('chat.channel.archived', ChannelArchived, 'one');
