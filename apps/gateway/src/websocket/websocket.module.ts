import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { WebSocketHub } from './websocket.hub';

/** Mattermost's real-time websocket. */
@Module({
  imports: [UsersModule],
  providers: [WebSocketHub],
})
export class WebSocketModule {}
