import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attachments received from remote clusters: an upload session remembers the digest the sender announced and when it
 * last moved, and there is at most one session per (remote, requested file id), so that a re-sent upload message
 * finds the session it created before and the transfer resumes from its offset.
 */
export class RemoteUploads1763820000000 implements MigrationInterface {
  name = 'RemoteUploads1763820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE upload_sessions ADD COLUMN content_digest varchar(64) NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE upload_sessions ADD COLUMN update_at bigint NOT NULL DEFAULT 0`);
    await q.query(
      `CREATE UNIQUE INDEX uq_upload_sessions_remote_req_file ON upload_sessions (remote_id, req_file_id) WHERE remote_id <> ''`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX uq_upload_sessions_remote_req_file`);
    await q.query(`ALTER TABLE upload_sessions DROP COLUMN update_at`);
    await q.query(`ALTER TABLE upload_sessions DROP COLUMN content_digest`);
  }
}
