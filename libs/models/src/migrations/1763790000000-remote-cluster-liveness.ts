import { MigrationInterface, QueryRunner } from 'typeorm';

/** Secure connections: the pending invitation token, the announced online state and the heartbeat claim time. */
export class RemoteClusterLiveness1763790000000 implements MigrationInterface {
  name = 'RemoteClusterLiveness1763790000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE remote_clusters ADD COLUMN invite_token varchar(26) NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE remote_clusters ADD COLUMN is_online boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE remote_clusters ADD COLUMN next_ping_at bigint NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX idx_remote_clusters_next_ping_at ON remote_clusters (next_ping_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_remote_clusters_next_ping_at`);
    await q.query(`ALTER TABLE remote_clusters DROP COLUMN next_ping_at`);
    await q.query(`ALTER TABLE remote_clusters DROP COLUMN is_online`);
    await q.query(`ALTER TABLE remote_clusters DROP COLUMN invite_token`);
  }
}
