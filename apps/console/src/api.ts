import { Client4 } from '@mattermost/client';

/**
 * The console speaks only the public /api/v4, through the webapp's own client: in a browser it sends the session
 * cookie, `X-Requested-With: XMLHttpRequest` and the MMCSRF cookie's token on every write, as the gateway requires.
 */
class ConsoleClient extends Client4 {
  /** Calls Client4 does not have (our extensions and the invitation review), on the same session and headers. */
  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.doFetch<T>(`${this.getBaseRoute()}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  }
}

export const client = new ConsoleClient();
client.setUrl(window.location.origin);
client.setIncludeCookies(true);

export interface Me {
  id: string;
  username: string;
  roles: string;
}

export interface Team {
  id: string;
  display_name: string;
  name: string;
  scheme_id?: string | null;
}

export interface Channel {
  id: string;
  team_id: string;
  name: string;
  display_name: string;
  type: string;
}

export interface Connection {
  remote_id: string;
  name: string;
  display_name: string;
  site_url: string;
  default_team_id: string;
  create_at: number;
  delete_at: number;
  last_ping_at: number;
  auto_accept_channel_invites?: boolean;
  /** Not every server says it; when present it wins over the site URL guess (a pending invitation). */
  pending?: boolean;
}

export interface ConnectionHealth {
  queue_size?: number;
  lag_ms?: number;
  refused_items?: number;
  file_transfers_pending?: number;
}

export interface ChannelShare {
  id: string;
  channel_id: string;
  remote_id: string;
  is_invite_accepted: boolean;
  is_invite_confirmed: boolean;
  delete_at: number;
  /** The connection is not accepted yet: the invitation is recorded and sent when it is. */
  connection_pending?: boolean;
}

/** `GET/POST /remotecluster/{id}/sync_users`: a manual full user sync with one connection. */
export interface UserSyncProgress {
  remote_id: string;
  users_total: number;
  users_sent: number;
  in_progress: boolean;
}

/** A post a connection refused (`/sharedchannels/{channel_id}/errors`), kept for re-sending or for an admin. */
export interface RefusedItem {
  id: string;
  channel_id: string;
  remote_id: string;
  post_id: string;
  reason: string;
  attempts: number;
  state: 'retrying' | 'failed';
  next_retry_at: number;
  create_at: number;
  update_at: number;
}

export interface ReceivedInvitation {
  id: string;
  channel_id: string;
  remote_id: string;
  direction: 'sent' | 'received';
  status: 'pending' | 'accepted' | 'rejected' | 'failed';
  name: string;
  display_name: string;
  type: string;
  read_only: boolean;
  team_id: string;
  create_at: number;
}

export interface Role {
  id: string;
  name: string;
  display_name: string;
  permissions: string[];
  built_in: boolean;
}

export interface Scheme {
  id: string;
  display_name: string;
  default_team_user_role: string;
}

/** Mattermost's webapp calls a connection offline after five minutes without a ping. */
export const OFFLINE_AFTER_MS = 5 * 60 * 1000;

export type ConnectionState = 'Connected' | 'Offline' | 'Connection Pending';

export function connectionState(c: Connection, now = Date.now()): ConnectionState {
  const pending = c.pending ?? (c.site_url === '' || c.site_url.startsWith('pending_'));
  if (pending) return 'Connection Pending';
  return c.last_ping_at > 0 && now - c.last_ping_at <= OFFLINE_AFTER_MS ? 'Connected' : 'Offline';
}

/** The server's own words for a failed call (Mattermost's error JSON `message`), else the HTTP failure. */
export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string' && err.message) return err.message;
  return 'The request failed. Check your connection and try again.';
}

export function statusOf(err: unknown): number | undefined {
  return err && typeof err === 'object' && 'status_code' in err && typeof err.status_code === 'number' ? err.status_code : undefined;
}

/** The server's error id (`api.remote_cluster.invalid_site_url`, ...): what went wrong, whatever the message says. */
export function errorIdOf(err: unknown): string | undefined {
  return err && typeof err === 'object' && 'server_error_id' in err && typeof err.server_error_id === 'string'
    ? err.server_error_id
    : undefined;
}

export const call = <T>(method: string, path: string, body?: unknown): Promise<T> => client.call<T>(method, path, body);

export const Permissions = {
  secureConnections: 'manage_secure_connections',
  sharedChannels: 'manage_shared_channels',
  system: 'manage_system',
} as const;

export async function permissionsOf(me: Me): Promise<Set<string>> {
  const names = me.roles.split(' ').filter(Boolean);
  const roles = (await client.getRolesByNames(names)) as Role[];
  return new Set(roles.flatMap((r) => r.permissions));
}

export function formatTime(ms: number): string {
  if (!ms) return 'Never';
  return new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export async function allTeams(): Promise<Team[]> {
  return (await client.getTeams(0, 200)) as Team[];
}
