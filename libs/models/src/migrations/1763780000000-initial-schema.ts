import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Initial schema: local chat core + Mattermost shared-channel federation records.
 * Must stay in exact agreement with libs/models/src/entities (names of tables, columns, indexes and constraints).
 */
export class InitialSchema1763780000000 implements MigrationInterface {
  name = 'InitialSchema1763780000000';

  async up(q: QueryRunner): Promise<void> {
    // ---- users & auth ------------------------------------------------------------------------------------------------
    await q.query(`
      CREATE TABLE users (
        id                   varchar(26)  NOT NULL,
        create_at            bigint       NOT NULL DEFAULT 0,
        update_at            bigint       NOT NULL DEFAULT 0,
        delete_at            bigint       NOT NULL DEFAULT 0,
        username             varchar(64)  NOT NULL,
        password             text         NOT NULL DEFAULT '',
        auth_data            varchar(128) NULL,
        auth_service         varchar(32)  NOT NULL DEFAULT '',
        email                varchar(128) NOT NULL,
        email_verified       boolean      NOT NULL DEFAULT false,
        nickname             varchar(64)  NOT NULL DEFAULT '',
        first_name           varchar(64)  NOT NULL DEFAULT '',
        last_name            varchar(64)  NOT NULL DEFAULT '',
        position             varchar(128) NOT NULL DEFAULT '',
        roles                varchar(256) NOT NULL DEFAULT '',
        allow_marketing      boolean      NOT NULL DEFAULT false,
        props                jsonb        NOT NULL DEFAULT '{}',
        notify_props         jsonb        NOT NULL DEFAULT '{}',
        last_password_update bigint       NOT NULL DEFAULT 0,
        last_picture_update  bigint       NOT NULL DEFAULT 0,
        failed_attempts      integer      NOT NULL DEFAULT 0,
        locale               varchar(32)  NOT NULL DEFAULT '',
        timezone             jsonb        NOT NULL DEFAULT '{}',
        mfa_active           boolean      NOT NULL DEFAULT false,
        mfa_secret           varchar(128) NOT NULL DEFAULT '',
        remote_id            varchar(26)  NOT NULL DEFAULT '',
        is_bot               boolean      NOT NULL DEFAULT false,
        CONSTRAINT pk_users PRIMARY KEY (id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_users_username ON users (username)`);
    await q.query(`CREATE UNIQUE INDEX uq_users_email ON users (email)`);
    await q.query(`CREATE INDEX idx_users_remote_id ON users (remote_id)`);
    await q.query(`CREATE INDEX idx_users_update_at ON users (update_at)`);

    await q.query(`
      CREATE TABLE sessions (
        id               varchar(26)  NOT NULL,
        token_hash       varchar(64)  NOT NULL,
        create_at        bigint       NOT NULL DEFAULT 0,
        expires_at       bigint       NOT NULL DEFAULT 0,
        last_activity_at bigint       NOT NULL DEFAULT 0,
        user_id          varchar(26)  NOT NULL,
        device_id        varchar(512) NOT NULL DEFAULT '',
        roles            varchar(256) NOT NULL DEFAULT '',
        is_oauth         boolean      NOT NULL DEFAULT false,
        props            jsonb        NOT NULL DEFAULT '{}',
        CONSTRAINT pk_sessions PRIMARY KEY (id),
        CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_sessions_token_hash ON sessions (token_hash)`);
    await q.query(`CREATE INDEX idx_sessions_user_id ON sessions (user_id)`);
    await q.query(`CREATE INDEX idx_sessions_expires_at ON sessions (expires_at)`);

    await q.query(`
      CREATE TABLE user_access_tokens (
        id          varchar(26)  NOT NULL,
        token_hash  varchar(64)  NOT NULL,
        user_id     varchar(26)  NOT NULL,
        description varchar(512) NOT NULL DEFAULT '',
        is_active   boolean      NOT NULL DEFAULT true,
        CONSTRAINT pk_user_access_tokens PRIMARY KEY (id),
        CONSTRAINT fk_user_access_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_user_access_tokens_token_hash ON user_access_tokens (token_hash)`);
    await q.query(`CREATE INDEX idx_user_access_tokens_user_id ON user_access_tokens (user_id)`);

    await q.query(`
      CREATE TABLE statuses (
        user_id          varchar(26) NOT NULL,
        status           varchar(32) NOT NULL DEFAULT '',
        manual           boolean     NOT NULL DEFAULT false,
        last_activity_at bigint      NOT NULL DEFAULT 0,
        dnd_end_time     bigint      NOT NULL DEFAULT 0,
        prev_status      varchar(32) NOT NULL DEFAULT '',
        CONSTRAINT pk_statuses PRIMARY KEY (user_id),
        CONSTRAINT fk_statuses_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);

    // ---- teams & channels --------------------------------------------------------------------------------------------
    await q.query(`
      CREATE TABLE teams (
        id                varchar(26)  NOT NULL,
        create_at         bigint       NOT NULL DEFAULT 0,
        update_at         bigint       NOT NULL DEFAULT 0,
        delete_at         bigint       NOT NULL DEFAULT 0,
        display_name      varchar(64)  NOT NULL,
        name              varchar(64)  NOT NULL,
        description       varchar(255) NOT NULL DEFAULT '',
        email             varchar(128) NOT NULL DEFAULT '',
        type              char(1)      NOT NULL,
        company_name      varchar(64)  NOT NULL DEFAULT '',
        allowed_domains   text         NOT NULL DEFAULT '',
        invite_id         varchar(26)  NOT NULL DEFAULT '',
        allow_open_invite boolean      NOT NULL DEFAULT false,
        CONSTRAINT pk_teams PRIMARY KEY (id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_teams_name ON teams (name)`);
    await q.query(`CREATE INDEX idx_teams_invite_id ON teams (invite_id)`);

    await q.query(`
      CREATE TABLE team_members (
        team_id      varchar(26)  NOT NULL,
        user_id      varchar(26)  NOT NULL,
        roles        varchar(256) NOT NULL DEFAULT '',
        delete_at    bigint       NOT NULL DEFAULT 0,
        scheme_user  boolean      NOT NULL DEFAULT false,
        scheme_admin boolean      NOT NULL DEFAULT false,
        create_at    bigint       NOT NULL DEFAULT 0,
        CONSTRAINT pk_team_members PRIMARY KEY (team_id, user_id),
        CONSTRAINT fk_team_members_team FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,
        CONSTRAINT fk_team_members_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_team_members_user_id ON team_members (user_id)`);

    await q.query(`
      CREATE TABLE channels (
        id                varchar(26)   NOT NULL,
        create_at         bigint        NOT NULL DEFAULT 0,
        update_at         bigint        NOT NULL DEFAULT 0,
        delete_at         bigint        NOT NULL DEFAULT 0,
        team_id           varchar(26)   NOT NULL DEFAULT '',
        type              char(1)       NOT NULL,
        display_name      varchar(64)   NOT NULL DEFAULT '',
        name              varchar(64)   NOT NULL,
        header            varchar(1024) NOT NULL DEFAULT '',
        purpose           varchar(250)  NOT NULL DEFAULT '',
        last_post_at      bigint        NOT NULL DEFAULT 0,
        total_msg_count   bigint        NOT NULL DEFAULT 0,
        creator_id        varchar(26)   NOT NULL DEFAULT '',
        shared            boolean       NOT NULL DEFAULT false,
        last_root_post_at bigint        NOT NULL DEFAULT 0,
        CONSTRAINT pk_channels PRIMARY KEY (id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_channels_team_name ON channels (team_id, name)`);

    await q.query(`
      CREATE TABLE channel_members (
        channel_id     varchar(26)  NOT NULL,
        user_id        varchar(26)  NOT NULL,
        roles          varchar(256) NOT NULL DEFAULT '',
        last_viewed_at bigint       NOT NULL DEFAULT 0,
        msg_count      bigint       NOT NULL DEFAULT 0,
        mention_count  bigint       NOT NULL DEFAULT 0,
        notify_props   jsonb        NOT NULL DEFAULT '{}',
        last_update_at bigint       NOT NULL DEFAULT 0,
        scheme_user    boolean      NOT NULL DEFAULT false,
        scheme_admin   boolean      NOT NULL DEFAULT false,
        CONSTRAINT pk_channel_members PRIMARY KEY (channel_id, user_id),
        CONSTRAINT fk_channel_members_channel FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE,
        CONSTRAINT fk_channel_members_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_channel_members_user_id ON channel_members (user_id)`);

    await q.query(`
      CREATE TABLE channel_member_history (
        channel_id varchar(26) NOT NULL,
        user_id    varchar(26) NOT NULL,
        join_time  bigint      NOT NULL,
        leave_time bigint      NULL,
        CONSTRAINT pk_channel_member_history PRIMARY KEY (channel_id, user_id, join_time)
      )`);
    await q.query(`CREATE INDEX idx_channel_member_history_channel_leave ON channel_member_history (channel_id, leave_time)`);
    await q.query(`CREATE INDEX idx_channel_member_history_user_id ON channel_member_history (user_id)`);

    // ---- posts & content ---------------------------------------------------------------------------------------------
    await q.query(`
      CREATE TABLE posts (
        id            varchar(26) NOT NULL,
        create_at     bigint      NOT NULL DEFAULT 0,
        update_at     bigint      NOT NULL DEFAULT 0,
        edit_at       bigint      NOT NULL DEFAULT 0,
        delete_at     bigint      NOT NULL DEFAULT 0,
        is_pinned     boolean     NOT NULL DEFAULT false,
        user_id       varchar(26) NOT NULL,
        channel_id    varchar(26) NOT NULL,
        root_id       varchar(26) NOT NULL DEFAULT '',
        original_id   varchar(26) NOT NULL DEFAULT '',
        message       text        NOT NULL DEFAULT '',
        type          varchar(26) NOT NULL DEFAULT '',
        props         jsonb       NOT NULL DEFAULT '{}',
        hashtags      text        NOT NULL DEFAULT '',
        file_ids      jsonb       NOT NULL DEFAULT '[]',
        remote_id     varchar(26) NOT NULL DEFAULT '',
        has_reactions boolean     NOT NULL DEFAULT false,
        CONSTRAINT pk_posts PRIMARY KEY (id)
      )`);
    await q.query(`CREATE INDEX idx_posts_channel_create ON posts (channel_id, create_at, id)`);
    await q.query(`CREATE INDEX idx_posts_channel_update ON posts (channel_id, update_at, id)`);
    await q.query(`CREATE INDEX idx_posts_root_id ON posts (root_id)`);
    await q.query(`CREATE INDEX idx_posts_user_id ON posts (user_id)`);

    await q.query(`
      CREATE TABLE post_priority (
        post_id                  varchar(26) NOT NULL,
        channel_id               varchar(26) NOT NULL,
        priority                 varchar(32) NOT NULL DEFAULT '',
        requested_ack            boolean     NOT NULL DEFAULT false,
        persistent_notifications boolean     NOT NULL DEFAULT false,
        CONSTRAINT pk_post_priority PRIMARY KEY (post_id),
        CONSTRAINT fk_post_priority_post FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_post_priority_channel_id ON post_priority (channel_id)`);

    await q.query(`
      CREATE TABLE post_acknowledgements (
        post_id         varchar(26) NOT NULL,
        user_id         varchar(26) NOT NULL,
        acknowledged_at bigint      NOT NULL DEFAULT 0,
        channel_id      varchar(26) NOT NULL,
        remote_id       varchar(26) NOT NULL DEFAULT '',
        CONSTRAINT pk_post_acknowledgements PRIMARY KEY (post_id, user_id)
      )`);
    await q.query(`CREATE INDEX idx_post_acknowledgements_channel_id ON post_acknowledgements (channel_id)`);

    await q.query(`
      CREATE TABLE reactions (
        post_id    varchar(26) NOT NULL,
        user_id    varchar(26) NOT NULL,
        emoji_name varchar(64) NOT NULL,
        create_at  bigint      NOT NULL DEFAULT 0,
        update_at  bigint      NOT NULL DEFAULT 0,
        delete_at  bigint      NOT NULL DEFAULT 0,
        remote_id  varchar(26) NOT NULL DEFAULT '',
        channel_id varchar(26) NOT NULL,
        CONSTRAINT pk_reactions PRIMARY KEY (post_id, user_id, emoji_name)
      )`);
    await q.query(`CREATE INDEX idx_reactions_user_id ON reactions (user_id)`);
    await q.query(`CREATE INDEX idx_reactions_channel_id ON reactions (channel_id)`);

    await q.query(`
      CREATE TABLE file_infos (
        id                varchar(26)  NOT NULL,
        creator_id        varchar(26)  NOT NULL DEFAULT '',
        post_id           varchar(26)  NOT NULL DEFAULT '',
        channel_id        varchar(26)  NOT NULL DEFAULT '',
        create_at         bigint       NOT NULL DEFAULT 0,
        update_at         bigint       NOT NULL DEFAULT 0,
        delete_at         bigint       NOT NULL DEFAULT 0,
        path              text         NOT NULL DEFAULT '',
        thumbnail_path    text         NOT NULL DEFAULT '',
        preview_path      text         NOT NULL DEFAULT '',
        name              text         NOT NULL DEFAULT '',
        extension         varchar(64)  NOT NULL DEFAULT '',
        size              bigint       NOT NULL DEFAULT 0,
        mime_type         varchar(256) NOT NULL DEFAULT '',
        width             integer      NOT NULL DEFAULT 0,
        height            integer      NOT NULL DEFAULT 0,
        has_preview_image boolean      NOT NULL DEFAULT false,
        mini_preview      bytea        NULL,
        remote_id         varchar(26)  NOT NULL DEFAULT '',
        content_digest    varchar(64)  NOT NULL DEFAULT '',
        CONSTRAINT pk_file_infos PRIMARY KEY (id)
      )`);
    await q.query(`CREATE INDEX idx_file_infos_post_id ON file_infos (post_id)`);
    await q.query(`CREATE INDEX idx_file_infos_creator_id ON file_infos (creator_id)`);

    await q.query(`
      CREATE TABLE upload_sessions (
        id          varchar(26) NOT NULL,
        type        varchar(32) NOT NULL,
        create_at   bigint      NOT NULL DEFAULT 0,
        user_id     varchar(26) NOT NULL,
        channel_id  varchar(26) NOT NULL DEFAULT '',
        filename    text        NOT NULL DEFAULT '',
        path        text        NOT NULL DEFAULT '',
        file_size   bigint      NOT NULL DEFAULT 0,
        file_offset bigint      NOT NULL DEFAULT 0,
        remote_id   varchar(26) NOT NULL DEFAULT '',
        req_file_id varchar(26) NOT NULL DEFAULT '',
        CONSTRAINT pk_upload_sessions PRIMARY KEY (id)
      )`);
    await q.query(`CREATE INDEX idx_upload_sessions_user_id ON upload_sessions (user_id)`);

    // ---- federation ---------------------------------------------------------------------------------------------------
    await q.query(`
      CREATE TABLE remote_clusters (
        remote_id                varchar(26)  NOT NULL,
        remote_team_id           varchar(26)  NOT NULL DEFAULT '',
        name                     varchar(64)  NOT NULL,
        display_name             varchar(64)  NOT NULL DEFAULT '',
        site_url                 varchar(512) NOT NULL DEFAULT '',
        default_team_id          varchar(26)  NOT NULL DEFAULT '',
        create_at                bigint       NOT NULL DEFAULT 0,
        delete_at                bigint       NOT NULL DEFAULT 0,
        last_ping_at             bigint       NOT NULL DEFAULT 0,
        last_global_user_sync_at bigint       NOT NULL DEFAULT 0,
        token_hash               varchar(64)  NOT NULL DEFAULT '',
        remote_token             text         NOT NULL DEFAULT '',
        topics                   varchar(512) NOT NULL DEFAULT '',
        creator_id               varchar(26)  NOT NULL DEFAULT '',
        plugin_id                varchar(190) NOT NULL DEFAULT '',
        options                  integer      NOT NULL DEFAULT 0,
        CONSTRAINT pk_remote_clusters PRIMARY KEY (remote_id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_remote_clusters_site_url ON remote_clusters (site_url) WHERE delete_at = 0`);

    await q.query(`
      CREATE TABLE shared_channels (
        channel_id         varchar(26)   NOT NULL,
        team_id            varchar(26)   NOT NULL DEFAULT '',
        home               boolean       NOT NULL DEFAULT false,
        readonly           boolean       NOT NULL DEFAULT false,
        share_name         varchar(64)   NOT NULL DEFAULT '',
        share_display_name varchar(64)   NOT NULL DEFAULT '',
        share_purpose      varchar(250)  NOT NULL DEFAULT '',
        share_header       varchar(1024) NOT NULL DEFAULT '',
        creator_id         varchar(26)   NOT NULL DEFAULT '',
        create_at          bigint        NOT NULL DEFAULT 0,
        update_at          bigint        NOT NULL DEFAULT 0,
        remote_id          varchar(26)   NOT NULL DEFAULT '',
        CONSTRAINT pk_shared_channels PRIMARY KEY (channel_id),
        CONSTRAINT fk_shared_channels_channel FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_shared_channels_remote_id ON shared_channels (remote_id)`);

    await q.query(`
      CREATE TABLE shared_channel_remotes (
        id                   varchar(26) NOT NULL,
        channel_id           varchar(26) NOT NULL,
        creator_id           varchar(26) NOT NULL DEFAULT '',
        create_at            bigint      NOT NULL DEFAULT 0,
        update_at            bigint      NOT NULL DEFAULT 0,
        delete_at            bigint      NOT NULL DEFAULT 0,
        is_invite_accepted   boolean     NOT NULL DEFAULT false,
        is_invite_confirmed  boolean     NOT NULL DEFAULT false,
        remote_id            varchar(26) NOT NULL,
        last_post_update_at  bigint      NOT NULL DEFAULT 0,
        last_post_id         varchar(26) NOT NULL DEFAULT '',
        last_post_create_at  bigint      NOT NULL DEFAULT 0,
        last_post_create_id  varchar(26) NOT NULL DEFAULT '',
        last_members_sync_at bigint      NOT NULL DEFAULT 0,
        CONSTRAINT pk_shared_channel_remotes PRIMARY KEY (id),
        CONSTRAINT fk_shared_channel_remotes_shared_channel FOREIGN KEY (channel_id)
          REFERENCES shared_channels (channel_id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_shared_channel_remotes_channel_remote ON shared_channel_remotes (channel_id, remote_id)`);
    await q.query(`CREATE INDEX idx_shared_channel_remotes_remote_id ON shared_channel_remotes (remote_id)`);

    await q.query(`
      CREATE TABLE shared_channel_users (
        id           varchar(26) NOT NULL,
        user_id      varchar(26) NOT NULL,
        channel_id   varchar(26) NOT NULL DEFAULT '',
        remote_id    varchar(26) NOT NULL,
        create_at    bigint      NOT NULL DEFAULT 0,
        last_sync_at bigint      NOT NULL DEFAULT 0,
        CONSTRAINT pk_shared_channel_users PRIMARY KEY (id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_shared_channel_users_user_channel_remote ON shared_channel_users (user_id, channel_id, remote_id)`,
    );
    await q.query(`CREATE INDEX idx_shared_channel_users_channel_remote ON shared_channel_users (channel_id, remote_id)`);

    await q.query(`
      CREATE TABLE shared_channel_attachments (
        id           varchar(26) NOT NULL,
        file_id      varchar(26) NOT NULL,
        remote_id    varchar(26) NOT NULL,
        create_at    bigint      NOT NULL DEFAULT 0,
        last_sync_at bigint      NOT NULL DEFAULT 0,
        CONSTRAINT pk_shared_channel_attachments PRIMARY KEY (id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_shared_channel_attachments_file_remote ON shared_channel_attachments (file_id, remote_id)`);

    // ---- server key/value -------------------------------------------------------------------------------------------
    await q.query(`
      CREATE TABLE system (
        name  varchar(64) NOT NULL,
        value text        NOT NULL DEFAULT '',
        CONSTRAINT pk_system PRIMARY KEY (name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Reverse dependency order; indexes and constraints go with their tables.
    for (const table of [
      'system',
      'shared_channel_attachments',
      'shared_channel_users',
      'shared_channel_remotes',
      'shared_channels',
      'remote_clusters',
      'upload_sessions',
      'file_infos',
      'reactions',
      'post_acknowledgements',
      'post_priority',
      'posts',
      'channel_member_history',
      'channel_members',
      'channels',
      'team_members',
      'teams',
      'statuses',
      'user_access_tokens',
      'sessions',
      'users',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
