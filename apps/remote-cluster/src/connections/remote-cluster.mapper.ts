import type { RemoteClusterJson } from '@fedchat/contracts';
import type { RemoteCluster } from '@fedchat/models';

/**
 * Mattermost's sanitised RemoteCluster: the token keys are present and empty; our bookkeeping stays inside.
 * Columns left to their database defaults on a row not yet re-read take their default values here.
 */
export function toRemoteClusterJson(rc: RemoteCluster): RemoteClusterJson {
  return {
    remote_id: rc.remote_id,
    remote_team_id: rc.remote_team_id ?? '',
    name: rc.name,
    display_name: rc.display_name ?? '',
    site_url: rc.site_url ?? '',
    default_team_id: rc.default_team_id ?? '',
    create_at: rc.create_at ?? 0,
    delete_at: rc.delete_at ?? 0,
    last_ping_at: rc.last_ping_at ?? 0,
    last_global_user_sync_at: rc.last_global_user_sync_at ?? 0,
    token: '',
    remote_token: '',
    topics: rc.topics ?? '',
    creator_id: rc.creator_id ?? '',
    plugin_id: rc.plugin_id ?? '',
    options: rc.options ?? 0,
    auto_accept_channel_invites: rc.auto_accept_channel_invites ?? true,
  };
}

export function isConfirmed(rc: RemoteCluster): boolean {
  return rc.plugin_id !== '' || (rc.site_url !== '' && !rc.site_url.startsWith('pending_'));
}
