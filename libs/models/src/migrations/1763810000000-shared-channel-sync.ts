import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The shared-channel sync engine: change stamps per shared channel, the durable work state next to each
 * (channel, remote) cursor, per-connection review of incoming channel invitations, and the invitations themselves.
 */
export class SharedChannelSync1763810000000 implements MigrationInterface {
  name = 'SharedChannelSync1763810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shared_channels ADD COLUMN last_change_at bigint NOT NULL DEFAULT 0`);
    for (const column of [
      `readonly boolean NOT NULL DEFAULT false`,
      `next_sync_at bigint NOT NULL DEFAULT 0`,
      `lease_owner varchar(64) NOT NULL DEFAULT ''`,
      `lease_until bigint NOT NULL DEFAULT 0`,
      `failures integer NOT NULL DEFAULT 0`,
      `last_error text NOT NULL DEFAULT ''`,
      `last_sync_at bigint NOT NULL DEFAULT 0`,
      `interrupted_since bigint NOT NULL DEFAULT 0`,
      `interruption_notified boolean NOT NULL DEFAULT false`,
    ]) {
      await q.query(`ALTER TABLE shared_channel_remotes ADD COLUMN ${column}`);
    }
    await q.query(`CREATE INDEX idx_shared_channel_remotes_next_sync_at ON shared_channel_remotes (next_sync_at)`);
    await q.query(`ALTER TABLE remote_clusters ADD COLUMN auto_accept_channel_invites boolean NOT NULL DEFAULT true`);
    await q.query(
      `CREATE TABLE shared_channel_invitations (
        id varchar(26) NOT NULL,
        channel_id varchar(26) NOT NULL,
        remote_id varchar(26) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending',
        error text NOT NULL DEFAULT '',
        team_id varchar(26) NOT NULL DEFAULT '',
        decided_by varchar(26) NOT NULL DEFAULT '',
        invite jsonb NOT NULL DEFAULT '{}',
        create_at bigint NOT NULL DEFAULT 0,
        update_at bigint NOT NULL DEFAULT 0,
        CONSTRAINT pk_shared_channel_invitations PRIMARY KEY (id)
      )`,
    );
    await q.query(`CREATE UNIQUE INDEX uq_shared_channel_invitations_channel_remote ON shared_channel_invitations (channel_id, remote_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE shared_channel_invitations`);
    await q.query(`ALTER TABLE remote_clusters DROP COLUMN auto_accept_channel_invites`);
    await q.query(`DROP INDEX idx_shared_channel_remotes_next_sync_at`);
    for (const column of [
      'readonly',
      'next_sync_at',
      'lease_owner',
      'lease_until',
      'failures',
      'last_error',
      'last_sync_at',
      'interrupted_since',
      'interruption_notified',
    ]) {
      await q.query(`ALTER TABLE shared_channel_remotes DROP COLUMN ${column}`);
    }
    await q.query(`ALTER TABLE shared_channels DROP COLUMN last_change_at`);
  }
}
