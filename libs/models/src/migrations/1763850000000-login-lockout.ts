import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the last failed password check of a user happened (`failed_attempts` counts them, as in Mattermost): a lock
 * after too many failures ends `LOGIN_LOCKOUT_DURATION_MS` after it, so strangers cannot lock an account for good.
 */
export class LoginLockout1763850000000 implements MigrationInterface {
  name = 'LoginLockout1763850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN last_failed_attempt_at bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN last_failed_attempt_at`);
  }
}
