import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ENTITIES } from '@fedchat/models';
import { ChannelAccess } from './channels/channel-access.service';
import { PostReads } from './posts/post-reads.service';
import { PostsService } from './posts/posts.service';
import { RoleCatalogue } from './roles/role-catalogue.service';
import { RolesHandlers } from './roles/roles.handlers';
import { SystemPosts } from './posts/system-posts.service';
import { ThreadReads } from './threads/thread-reads.service';
import { UserUpdatedEvents } from './users/user-updated.events';
import { WebSocketEvents } from './websocket-events.service';

/**
 * The chat rules every app that writes chat content shares: the gateway for its clients, shared-channel-sync for
 * content received from peers. One implementation of who may write what, which rows change together and which
 * websocket events follow (published over the bus, so any process may write).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature(ENTITIES)],
  // Every process with the chat rules checks permissions, so every one reloads the roles when they change.
  controllers: [RolesHandlers],
  providers: [ChannelAccess, WebSocketEvents, PostReads, PostsService, SystemPosts, ThreadReads, UserUpdatedEvents, RoleCatalogue],
  exports: [
    TypeOrmModule,
    ChannelAccess,
    WebSocketEvents,
    PostReads,
    PostsService,
    SystemPosts,
    ThreadReads,
    UserUpdatedEvents,
    RoleCatalogue,
  ],
})
export class ChatModule {}
