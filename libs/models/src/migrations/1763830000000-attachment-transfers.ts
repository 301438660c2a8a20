import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * File transfers to remotes: `shared_channel_attachments` becomes the durable transfer queue (one row per file and
 * remote, pending until the peer holds the whole file, with a lease so one replica works each row), and
 * `shared_channel_users` remembers which profile picture each remote got.
 */
export class AttachmentTransfers1763830000000 implements MigrationInterface {
  name = 'AttachmentTransfers1763830000000';

  async up(q: QueryRunner): Promise<void> {
    for (const column of [
      `channel_id varchar(26) NOT NULL DEFAULT ''`,
      `post_id varchar(26) NOT NULL DEFAULT ''`,
      `status varchar(16) NOT NULL DEFAULT 'done'`,
      `failures integer NOT NULL DEFAULT 0`,
      `next_try_at bigint NOT NULL DEFAULT 0`,
      `last_error text NOT NULL DEFAULT ''`,
      `lease_owner varchar(64) NOT NULL DEFAULT ''`,
      `lease_until bigint NOT NULL DEFAULT 0`,
      `bytes_sent bigint NOT NULL DEFAULT 0`,
    ]) {
      await q.query(`ALTER TABLE shared_channel_attachments ADD COLUMN ${column}`);
    }
    await q.query(`CREATE INDEX idx_shared_channel_attachments_status_next_try_at ON shared_channel_attachments (status, next_try_at)`);
    await q.query(`ALTER TABLE shared_channel_users ADD COLUMN last_picture_sync_at bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shared_channel_users DROP COLUMN last_picture_sync_at`);
    await q.query(`DROP INDEX idx_shared_channel_attachments_status_next_try_at`);
    for (const column of [
      'channel_id',
      'post_id',
      'status',
      'failures',
      'next_try_at',
      'last_error',
      'lease_owner',
      'lease_until',
      'bytes_sent',
    ]) {
      await q.query(`ALTER TABLE shared_channel_attachments DROP COLUMN ${column}`);
    }
  }
}
