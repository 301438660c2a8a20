import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ChatModule } from '@fedchat/chat';
import { AuthGuard } from './auth/auth.guard';
import { AuthHandlers } from './auth/auth.handlers';
import { AuthService } from './auth/auth.service';

/** What every area of the gateway shares: the chat rules (libs/chat) and authentication of clients. */
@Global()
@Module({
  imports: [ChatModule],
  controllers: [AuthHandlers],
  providers: [AuthService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ChatModule, AuthService],
})
export class ChatCoreModule {}
