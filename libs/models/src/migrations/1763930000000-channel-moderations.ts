import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Channel moderations: a row withdraws one moderated permission from a channel's members (see the entity).
 * Must stay in exact agreement with the entities in libs/models/src/entities.
 */
export class ChannelModerations1763930000000 implements MigrationInterface {
  name = 'ChannelModerations1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE channel_moderations (
        channel_id varchar(26) NOT NULL,
        name       varchar(32) NOT NULL,
        create_at  bigint      NOT NULL DEFAULT 0,
        CONSTRAINT pk_channel_moderations PRIMARY KEY (channel_id, name),
        CONSTRAINT fk_channel_moderations_channel FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE channel_moderations`);
  }
}
