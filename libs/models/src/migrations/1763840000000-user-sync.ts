import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The user-sync app's sending state per connection: the id half of the global user sync cursor (with
 * `last_global_user_sync_at`, a keyset cursor, so that users updated in the same millisecond are neither skipped nor
 * sent twice), and the lease that lets one replica at a time send users, memberships and statuses to a remote.
 */
export class UserSync1763840000000 implements MigrationInterface {
  name = 'UserSync1763840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE remote_clusters ADD COLUMN last_global_user_sync_id varchar(26) NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE remote_clusters ADD COLUMN user_sync_lease_owner varchar(64) NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE remote_clusters ADD COLUMN user_sync_lease_until bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE remote_clusters DROP COLUMN user_sync_lease_until`);
    await q.query(`ALTER TABLE remote_clusters DROP COLUMN user_sync_lease_owner`);
    await q.query(`ALTER TABLE remote_clusters DROP COLUMN last_global_user_sync_id`);
  }
}
