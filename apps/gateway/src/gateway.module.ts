import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, AppConfig } from '@fedchat/common';
import { ChannelModerationsModule } from './channel-moderations/channel-moderations.module';
import { ChannelsModule } from './channels/channels.module';
import { ChatCoreModule } from './chat-core.module';
import { ClientConfigModule } from './client-config/client-config.module';
import { CommandsModule } from './commands/commands.module';
import { EmojiModule } from './emoji/emoji.module';
import { GroupsModule } from './groups/groups.module';
import { FilesModule } from './files/files.module';
import { FederationSwitchMiddleware } from './http/federation-switch.middleware';
import { MattermostErrorFilter } from './http/mattermost-error.filter';
import { RateLimitGuard, rateLimitOptions } from './http/rate-limit.guard';
import { PostActionsModule } from './post-actions/post-actions.module';
import { PostsModule } from './posts/posts.module';
import { ReadStateModule } from './read-state/read-state.module';
import { RemoteClustersModule } from './remote-clusters/remote-clusters.module';
import { RolesModule } from './roles/roles.module';
import { SchemesModule } from './schemes/schemes.module';
import { PreferencesModule } from './preferences/preferences.module';
import { SidebarCategoriesModule } from './sidebar-categories/sidebar-categories.module';
import { SharedChannelsModule } from './shared-channels/shared-channels.module';
import { SystemController } from './system/system.controller';
import { TeamsModule } from './teams/teams.module';
import { ThreadsModule } from './threads/threads.module';
import { UsersModule } from './users/users.module';
import { WebSocketModule } from './websocket/websocket.module';

/** The gateway: Mattermost's /api/v4 for clients and peer clusters, the local chat core, the websocket. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: (config: AppConfig) => rateLimitOptions(config) }),
    ChatCoreModule,
    UsersModule,
    CommandsModule,
    WebSocketModule,
    PostsModule,
    PostActionsModule,
    FilesModule,
    TeamsModule,
    ChannelsModule,
    ReadStateModule,
    ThreadsModule,
    RemoteClustersModule,
    SharedChannelsModule,
    ClientConfigModule,
    EmojiModule,
    GroupsModule,
    RolesModule,
    SchemesModule,
    PreferencesModule,
    SidebarCategoriesModule,
    ChannelModerationsModule,
  ],
  controllers: [SystemController],
  providers: [
    { provide: APP_FILTER, useClass: MattermostErrorFilter },
    // Global guards run in the order Nest finds them: this module's before ChatCoreModule's AuthGuard, so that
    // requests with bad tokens are counted too (a test checks it).
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(FederationSwitchMiddleware)
      .forRoutes(
        'api/v4/remotecluster',
        'api/v4/remotecluster/*path',
        'api/v4/sharedchannels',
        'api/v4/sharedchannels/*path',
        'api/v4/channels/:channel_id/remotes/*path',
      );
  }
}
