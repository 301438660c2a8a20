import { Injectable } from '@nestjs/common';
import { Permission, RoleCatalogue, WebSocketEvents } from '@fedchat/chat';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Our websocket event (Mattermost has none for connections): a connection changed state. */
export const REMOTE_CLUSTER_CHANGED = 'remote_cluster_changed';

export type ConnectionChange = 'online' | 'offline' | 'confirmed';

/**
 * Tells the sockets of everyone who may manage secure connections that one changed state, so the console shows a
 * connection coming online (or its invitation accepted) without waiting for its next poll. Only those users: the
 * connections are theirs to see.
 */
@Injectable()
export class ConnectionLiveEvents {
  constructor(
    private readonly catalogue: RoleCatalogue,
    private readonly events: WebSocketEvents,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async announce(remoteId: string, change: ConnectionChange): Promise<void> {
    const roles = (await this.catalogue.all()).filter((r) => r.permissions.includes(Permission.ManageSecureConnections)).map((r) => r.name);
    if (roles.length === 0) return;
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM users WHERE delete_at = 0 AND remote_id = '' AND string_to_array(roles, ' ') && $1::text[]`,
      [roles],
    );
    this.events.toUsers(
      rows.map((r) => r.id),
      REMOTE_CLUSTER_CHANGED,
      { remote_id: remoteId, change },
    );
  }
}
