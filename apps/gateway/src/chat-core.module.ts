import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ENTITIES } from '@fedchat/models';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import { ChannelAccess } from './channels/channel-access.service';
import { WebSocketEvents } from './events/websocket-events.service';

/** What every area of the gateway's chat core shares: repositories, authentication, channel access, events. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature(ENTITIES)],
  providers: [AuthService, ChannelAccess, WebSocketEvents, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TypeOrmModule, AuthService, ChannelAccess, WebSocketEvents],
})
export class ChatCoreModule {}
