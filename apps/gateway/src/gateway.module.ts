import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ChannelsModule } from './channels/channels.module';
import { ChatCoreModule } from './chat-core.module';
import { CommandsModule } from './commands/commands.module';
import { FilesModule } from './files/files.module';
import { FederationSwitchMiddleware } from './http/federation-switch.middleware';
import { MattermostErrorFilter } from './http/mattermost-error.filter';
import { PostsModule } from './posts/posts.module';
import { RemoteClustersModule } from './remote-clusters/remote-clusters.module';
import { SharedChannelsModule } from './shared-channels/shared-channels.module';
import { SystemController } from './system/system.controller';
import { TeamsModule } from './teams/teams.module';
import { UsersModule } from './users/users.module';
import { WebSocketModule } from './websocket/websocket.module';

/** The gateway: Mattermost's /api/v4 for clients and peer clusters, the local chat core, the websocket. */
@Module({
  imports: [
    ChatCoreModule,
    UsersModule,
    CommandsModule,
    WebSocketModule,
    PostsModule,
    FilesModule,
    TeamsModule,
    ChannelsModule,
    RemoteClustersModule,
    SharedChannelsModule,
  ],
  controllers: [SystemController],
  providers: [{ provide: APP_FILTER, useClass: MattermostErrorFilter }],
})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(FederationSwitchMiddleware)
      .forRoutes('api/v4/remotecluster', 'api/v4/remotecluster/*path', 'api/v4/sharedchannels', 'api/v4/sharedchannels/*path');
  }
}
