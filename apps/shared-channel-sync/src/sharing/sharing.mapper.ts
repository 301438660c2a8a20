import type { RemoteClusterInfoJson, SharedChannelInvitationJson, SharedChannelJson, SharedChannelRemoteJson } from '@fedchat/contracts';
import { isConfirmedRemote } from './channel-invite-sender.service';
import type { RemoteCluster, SharedChannel, SharedChannelInvitation, SharedChannelRemote } from '@fedchat/models';

/** Mattermost `SharedChannel` JSON (§2.3): the share_* columns travel as name, display_name, purpose, header. */
export function toSharedChannelJson(sc: SharedChannel): SharedChannelJson {
  return {
    id: sc.channel_id,
    team_id: sc.team_id,
    home: sc.home,
    readonly: sc.readonly,
    name: sc.share_name,
    display_name: sc.share_display_name,
    purpose: sc.share_purpose,
    header: sc.share_header,
    creator_id: sc.creator_id,
    create_at: sc.create_at,
    update_at: sc.update_at,
    // omitempty: only a share homed elsewhere names its owner.
    ...(sc.remote_id ? { remote_id: sc.remote_id } : {}),
  };
}

/**
 * Mattermost `SharedChannelRemote` JSON (§2.3); the sync bookkeeping columns stay inside. `connectionPending`: the
 * share's connection is not accepted by the peer yet.
 */
export function toSharedChannelRemoteJson(scr: SharedChannelRemote, connectionPending: boolean): SharedChannelRemoteJson {
  return {
    id: scr.id,
    channel_id: scr.channel_id,
    creator_id: scr.creator_id,
    create_at: scr.create_at,
    update_at: scr.update_at,
    delete_at: scr.delete_at,
    is_invite_accepted: scr.is_invite_accepted,
    is_invite_confirmed: scr.is_invite_confirmed,
    remote_id: scr.remote_id,
    last_post_update_at: scr.last_post_update_at,
    last_post_id: scr.last_post_id,
    last_post_create_at: scr.last_post_create_at,
    last_post_create_id: scr.last_post_create_id,
    last_members_sync_at: scr.last_members_sync_at,
    connection_pending: connectionPending,
  };
}

/** What a non-admin may know about a connection (Mattermost `RemoteClusterInfo`). */
export function toRemoteInfoJson(rc: RemoteCluster): RemoteClusterInfoJson {
  return {
    remote_id: rc.remote_id,
    name: rc.name,
    display_name: rc.display_name,
    create_at: rc.create_at,
    delete_at: rc.delete_at,
    last_ping_at: rc.last_ping_at,
    site_url: rc.site_url,
    connection_pending: !isConfirmedRemote(rc),
  };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A received invitation, with the channel as the remote described it. */
export function toInvitationJson(inv: SharedChannelInvitation): SharedChannelInvitationJson {
  const invite = inv.invite ?? {};
  const type = str(invite.type);
  return {
    id: inv.id,
    channel_id: inv.channel_id,
    remote_id: inv.remote_id,
    direction: 'received',
    status: inv.status,
    ...(inv.error ? { error: inv.error } : {}),
    creator_id: str(invite.creator_id),
    create_at: inv.create_at,
    update_at: inv.update_at,
    name: str(invite.name),
    display_name: str(invite.display_name),
    type: ['O', 'P', 'D', 'G'].includes(type) ? type : 'O',
    read_only: invite.read_only === true,
    team_id: inv.team_id,
  };
}
