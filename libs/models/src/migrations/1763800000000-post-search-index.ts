import { MigrationInterface, QueryRunner } from 'typeorm';

/** Full-text search over post messages (Mattermost's default 'english' configuration). */
export class PostSearchIndex1763800000000 implements MigrationInterface {
  name = 'PostSearchIndex1763800000000';

  async up(q: QueryRunner): Promise<void> {
    // An expression index, invisible to TypeORM's schema comparison, so entities need no change.
    await q.query(`CREATE INDEX idx_posts_message_fts ON posts USING gin (to_tsvector('english', message))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_posts_message_fts`);
  }
}
