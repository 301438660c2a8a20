import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A commit-safe cursor for the membership sync. A history row's join/leave time is taken before its transaction
 * commits, so a time cursor can pass a row that commits late with an earlier time, and that change is never sent.
 * Now every write of a history row (trigger, so no writer can forget) takes a shared advisory lock on its channel
 * until its transaction ends, then stamps `change_seq` from a sequence. The sender takes that lock exclusively
 * (without waiting) before it reads the sequence: while it holds it no writer of the channel is in flight, so every
 * row of the channel numbered up to that value is committed, and any later write gets a higher number.
 * Existing rows are numbered now, and existing pairs start at 0: every membership is sent once more (receivers
 * apply them idempotently).
 */
export class MembershipSyncSeq1763870000000 implements MigrationInterface {
  name = 'MembershipSyncSeq1763870000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE channel_member_history_change_seq`);
    await q.query(`ALTER TABLE channel_member_history ADD COLUMN change_seq bigint NOT NULL DEFAULT 0`);
    await q.query(`UPDATE channel_member_history SET change_seq = nextval('channel_member_history_change_seq')`);
    // The lock key (class 7301, hash of the channel id) must match MEMBER_HISTORY_LOCK_CLASS in the user-sync sender.
    await q.query(`
      CREATE FUNCTION channel_member_history_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(7301, hashtext(NEW.channel_id));
        NEW.change_seq := nextval('channel_member_history_change_seq');
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER channel_member_history_stamp BEFORE INSERT OR UPDATE ON channel_member_history
      FOR EACH ROW EXECUTE FUNCTION channel_member_history_stamp()`);
    await q.query(`CREATE INDEX idx_channel_member_history_channel_seq ON channel_member_history (channel_id, change_seq)`);
    await q.query(`ALTER TABLE shared_channel_remotes ADD COLUMN last_members_sync_seq bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shared_channel_remotes DROP COLUMN last_members_sync_seq`);
    await q.query(`DROP INDEX idx_channel_member_history_channel_seq`);
    await q.query(`DROP TRIGGER channel_member_history_stamp ON channel_member_history`);
    await q.query(`DROP FUNCTION channel_member_history_stamp()`);
    await q.query(`ALTER TABLE channel_member_history DROP COLUMN change_seq`);
    await q.query(`DROP SEQUENCE channel_member_history_change_seq`);
  }
}
