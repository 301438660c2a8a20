import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Posts a remote refused (`post_errors` of its SyncResponse): kept per (channel, remote, post) with the reason, the
 * attempts made and when to try again, instead of being only logged. `state` is `retrying` while the sync engine
 * re-sends it with backoff, `failed` once the attempts are used up (an admin may retry or discard it).
 */
export class SyncDeadLetters1763896000000 implements MigrationInterface {
  name = 'SyncDeadLetters1763896000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sync_dead_letters (
        id varchar(26) NOT NULL,
        channel_id varchar(26) NOT NULL,
        remote_id varchar(26) NOT NULL,
        post_id varchar(26) NOT NULL,
        reason text NOT NULL DEFAULT '',
        attempts integer NOT NULL DEFAULT 0,
        state varchar(16) NOT NULL DEFAULT 'retrying',
        next_retry_at bigint NOT NULL DEFAULT 0,
        create_at bigint NOT NULL DEFAULT 0,
        update_at bigint NOT NULL DEFAULT 0,
        CONSTRAINT pk_sync_dead_letters PRIMARY KEY (id),
        CONSTRAINT uq_sync_dead_letters_item UNIQUE (channel_id, remote_id, post_id),
        CONSTRAINT ck_sync_dead_letters_state CHECK (state IN ('retrying', 'failed')),
        CONSTRAINT fk_sync_dead_letters_channel FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX idx_sync_dead_letters_due ON sync_dead_letters (remote_id, channel_id, next_retry_at) WHERE state = 'retrying'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sync_dead_letters`);
  }
}
