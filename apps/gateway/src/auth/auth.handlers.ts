import { MessageHandlers } from '@fedchat/common';
import { AuthChanged, AuthChangedMessage } from '@fedchat/contracts';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AuthService } from './auth.service';

/** A user's credentials or account changed in some process: every gateway (`all` delivery) drops its cached callers. */
@MessageHandlers()
export class AuthHandlers {
  constructor(private readonly auth: AuthService) {}

  @EventPattern(AuthChanged.subject)
  changed(@Payload() message: AuthChangedMessage): void {
    this.auth.forgetCallers(message.user_id);
  }
}
