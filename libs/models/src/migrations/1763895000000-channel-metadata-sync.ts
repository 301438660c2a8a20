import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Channel metadata (display name, header, purpose) follows the channel to its remotes. On the home side
 * `metadata_changed_at` is the change stamp of the last edit and each pair's `last_metadata_sync_at` says which stamp
 * that remote has confirmed; a pair is due while they differ. On a remote copy `metadata_changed_at` holds the home's
 * stamp of the metadata applied last, so an older or repeated message changes nothing.
 */
export class ChannelMetadataSync1763895000000 implements MigrationInterface {
  name = 'ChannelMetadataSync1763895000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shared_channels ADD COLUMN metadata_changed_at bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE shared_channel_remotes ADD COLUMN last_metadata_sync_at bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shared_channel_remotes DROP COLUMN last_metadata_sync_at`);
    await q.query(`ALTER TABLE shared_channels DROP COLUMN metadata_changed_at`);
  }
}
