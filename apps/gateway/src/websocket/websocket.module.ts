import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { WebSocketHandlers } from './websocket.handlers';
import { WebSocketHub } from './websocket.hub';

/** Mattermost's real-time websocket. */
@Module({
  imports: [UsersModule],
  controllers: [WebSocketHandlers],
  providers: [WebSocketHub],
})
export class WebSocketModule {}
