import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintMs, bool, idPrimary, idRef, int, str, text } from './columns';

/**
 * Mattermost `model.RemoteCluster` (protocol §2.1), one row per secure connection. The wire `token` (what the peer
 * must present to us) is stored only as its SHA-256 hex hash in `token_hash`; `remote_token` (what we present to
 * the peer) has to be kept in clear.
 */
@Entity('remote_clusters')
@Index('uq_remote_clusters_site_url', ['site_url'], { unique: true, where: 'delete_at = 0' })
export class RemoteCluster {
  @PrimaryColumn(idPrimary('pk_remote_clusters'))
  remote_id: string;

  /** Deprecated upstream; kept for the wire. */
  @Column(idRef)
  remote_team_id: string;

  /** Slug, lower-case, `^[a-z0-9.\-_]+$`, 1..64. */
  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column(str(64))
  display_name: string;

  /** Peer base URL; `pending_<id>` while an outgoing invite is unconfirmed; `plugin_<pluginId>` for plugin remotes. */
  @Column(str(512))
  site_url: string;

  @Column(idRef)
  default_team_id: string;

  @Column(bigintMs)
  create_at: number;

  @Column(bigintMs)
  delete_at: number;

  @Column(bigintMs)
  last_ping_at: number;

  /** Cursor of the global user sync (protocol §5.9). */
  @Column(bigintMs)
  last_global_user_sync_at: number;

  /** With `last_global_user_sync_at`, the keyset cursor `(update_at, id)` of the global user sync (never on the wire). */
  @Column(idRef)
  last_global_user_sync_id: string;

  @Column({ type: 'varchar', length: 64, default: '' })
  token_hash: string;

  @Column(text)
  remote_token: string;

  /**
   * The invitation token in clear, only while the invitation is unconfirmed: a regenerated invitation must carry the
   * same token (the old code keeps working). Emptied at confirmation, when `token_hash` takes over.
   */
  @Column(str(26))
  invite_token: string;

  /** The online state last announced (ConnectionStateChanged), so that each transition is announced once. */
  @Column(bool())
  is_online: boolean;

  /** When a heartbeat replica may next claim this remote for a ping (claimed rows move it forward). */
  @Column(bigintMs)
  @Index('idx_remote_clusters_next_ping_at')
  next_ping_at: number;

  /** Normalised " a b " / "" / "*". */
  @Column(str(512))
  topics: string;

  @Column(idRef)
  creator_id: string;

  @Column(str(190))
  plugin_id: string;

  /** Incoming channel invitations are accepted at once (true) or wait for an admin's review. */
  @Column(bool(true))
  auto_accept_channel_invites: boolean;

  /** The user-sync replica sending users, memberships and statuses to this remote, until `user_sync_lease_until`. */
  @Column(str(64))
  user_sync_lease_owner: string;

  @Column(bigintMs)
  user_sync_lease_until: number;

  /** uint32 bitmask: bit0 AutoShareDMs, bit1 AutoInvited. */
  @Column(int)
  options: number;
}
