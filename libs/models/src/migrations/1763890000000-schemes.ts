import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Team override schemes (Mattermost's Scheme): a scheme names its own team and channel roles (rows of `roles`), and a
 * team with `scheme_id` set gives its members those roles instead of the built-in `team_*`/`channel_*` ones.
 * Must stay in exact agreement with the entities in libs/models/src/entities.
 */
export class Schemes1763890000000 implements MigrationInterface {
  name = 'Schemes1763890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE schemes (
        id                         varchar(26)  NOT NULL,
        name                       varchar(64)  NOT NULL,
        display_name               varchar(128) NOT NULL DEFAULT '',
        description                varchar(1024) NOT NULL DEFAULT '',
        scope                      varchar(32)  NOT NULL,
        create_at                  bigint       NOT NULL DEFAULT 0,
        update_at                  bigint       NOT NULL DEFAULT 0,
        delete_at                  bigint       NOT NULL DEFAULT 0,
        default_team_admin_role    varchar(64)  NOT NULL DEFAULT '',
        default_team_user_role     varchar(64)  NOT NULL DEFAULT '',
        default_channel_admin_role varchar(64)  NOT NULL DEFAULT '',
        default_channel_user_role  varchar(64)  NOT NULL DEFAULT '',
        CONSTRAINT pk_schemes PRIMARY KEY (id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_schemes_name ON schemes (name)`);
    await q.query(`ALTER TABLE teams ADD COLUMN scheme_id varchar(26) NOT NULL DEFAULT ''`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE teams DROP COLUMN scheme_id`);
    await q.query(`DROP TABLE schemes`);
  }
}
