import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the end of a share archives our copy of a channel homed elsewhere (removal mode `archive`), the accepted
 * invitation records the archive time. A later re-invite from the same home restores the copy only when its archive
 * is that one: a copy a local admin archived stays archived.
 */
export class SharedCopyArchived1763920000000 implements MigrationInterface {
  name = 'SharedCopyArchived1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shared_channel_invitations ADD COLUMN copy_archived_at bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shared_channel_invitations DROP COLUMN copy_archived_at`);
  }
}
