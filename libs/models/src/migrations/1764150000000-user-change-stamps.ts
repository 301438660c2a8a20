import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user's `update_at` is a change stamp that never goes backwards, whatever the host's clock does. The global user
 * sync keeps a `(update_at, id)` cursor over users, and the profile sync sends a user again when its `update_at`
 * passes the version last sent: both were wall-clock values, so after the clock stepped back (NTP, a VM restored)
 * a user changed in the next minutes sorted before the cursor and was never sent. Every write that sets a new
 * `update_at` (a trigger, so no writer can forget) now gets at least the largest stamp of the table plus one. The
 * index on `update_at` makes that a single index probe. Rows that keep their `update_at` (status, activity) are
 * left alone.
 */
export class UserChangeStamps1764150000000 implements MigrationInterface {
  name = 'UserChangeStamps1764150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION users_change_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.update_at = OLD.update_at THEN
          RETURN NEW;
        END IF;
        NEW.update_at := GREATEST(NEW.update_at, COALESCE((SELECT max(update_at) FROM users), 0) + 1);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER users_change_stamp BEFORE INSERT OR UPDATE ON users
      FOR EACH ROW EXECUTE FUNCTION users_change_stamp()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_change_stamp ON users`);
    await q.query(`DROP FUNCTION users_change_stamp()`);
  }
}
