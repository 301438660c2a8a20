import { MessageHandlers } from '@fedchat/common';
import { ConnectionChanged, ConnectionChangedEvent } from '@fedchat/contracts';
import { EventPattern, Payload } from '@nestjs/microservices';
import { PeerAuthGuard } from './peer-auth.guard';

/** A connection row changed in some process: every gateway (`all` delivery) drops its cached row of it. */
@MessageHandlers()
export class PeerConnectionsHandlers {
  constructor(private readonly guard: PeerAuthGuard) {}

  @EventPattern(ConnectionChangedEvent.subject)
  changed(@Payload() event: ConnectionChanged): void {
    this.guard.forgetConnection(event.remote_id);
  }
}
