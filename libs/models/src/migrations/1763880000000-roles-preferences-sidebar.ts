import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Roles (Mattermost's Role: the permissions each role grants; the built-in ones are seeded at start by the chat core,
 * so a release that adds a built-in role needs no migration), user preferences and sidebar categories.
 * Must stay in exact agreement with the entities in libs/models/src/entities.
 */
export class RolesPreferencesSidebar1763880000000 implements MigrationInterface {
  name = 'RolesPreferencesSidebar1763880000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE roles (
        id             varchar(26)  NOT NULL,
        name           varchar(64)  NOT NULL,
        display_name   varchar(128) NOT NULL DEFAULT '',
        description    varchar(1024) NOT NULL DEFAULT '',
        create_at      bigint       NOT NULL DEFAULT 0,
        update_at      bigint       NOT NULL DEFAULT 0,
        delete_at      bigint       NOT NULL DEFAULT 0,
        permissions    jsonb        NOT NULL DEFAULT '[]',
        scheme_managed boolean      NOT NULL DEFAULT false,
        built_in       boolean      NOT NULL DEFAULT false,
        CONSTRAINT pk_roles PRIMARY KEY (id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_roles_name ON roles (name)`);

    await q.query(`
      CREATE TABLE preferences (
        user_id  varchar(26) NOT NULL,
        category varchar(32) NOT NULL,
        name     varchar(32) NOT NULL,
        value    text        NOT NULL DEFAULT '',
        CONSTRAINT pk_preferences PRIMARY KEY (user_id, category, name),
        CONSTRAINT fk_preferences_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_preferences_category_name ON preferences (category, name)`);

    // Default categories have the ids Mattermost gives them (`<type>_<user_id>_<team_id>`), so a second lazy creation
    // of the same defaults conflicts on the primary key instead of making duplicates.
    await q.query(`
      CREATE TABLE sidebar_categories (
        id           varchar(128) NOT NULL,
        user_id      varchar(26)  NOT NULL,
        team_id      varchar(26)  NOT NULL,
        sort_order   bigint       NOT NULL DEFAULT 0,
        sorting      varchar(64)  NOT NULL DEFAULT '',
        type         varchar(64)  NOT NULL,
        display_name varchar(64)  NOT NULL DEFAULT '',
        muted        boolean      NOT NULL DEFAULT false,
        collapsed    boolean      NOT NULL DEFAULT false,
        CONSTRAINT pk_sidebar_categories PRIMARY KEY (id),
        CONSTRAINT fk_sidebar_categories_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_sidebar_categories_user_team ON sidebar_categories (user_id, team_id)`);

    await q.query(`
      CREATE TABLE sidebar_channels (
        category_id varchar(128) NOT NULL,
        channel_id  varchar(26)  NOT NULL,
        user_id     varchar(26)  NOT NULL,
        sort_order  bigint       NOT NULL DEFAULT 0,
        CONSTRAINT pk_sidebar_channels PRIMARY KEY (category_id, channel_id),
        CONSTRAINT fk_sidebar_channels_category FOREIGN KEY (category_id) REFERENCES sidebar_categories (id) ON DELETE CASCADE,
        CONSTRAINT fk_sidebar_channels_channel FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_sidebar_channels_user_channel ON sidebar_channels (user_id, channel_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sidebar_channels`);
    await q.query(`DROP TABLE sidebar_categories`);
    await q.query(`DROP TABLE preferences`);
    await q.query(`DROP TABLE roles`);
  }
}
