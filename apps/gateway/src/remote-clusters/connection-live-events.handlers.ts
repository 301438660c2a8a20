import { MessageHandlers } from '@fedchat/common';
import { ConnectionConfirmed, ConnectionConfirmedEvent, ConnectionStateChanged, ConnectionStateChangedEvent } from '@fedchat/contracts';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ConnectionLiveEvents } from './connection-live-events.service';

/** One gateway replica announces each change; the websocket fan-out then reaches every replica's sockets. */
const CONSOLE_LIVE = { consumer: 'gateway-connection-live' };

@MessageHandlers()
export class ConnectionLiveEventsHandlers {
  constructor(private readonly live: ConnectionLiveEvents) {}

  @EventPattern(ConnectionStateChangedEvent.subject, CONSOLE_LIVE)
  stateChanged(@Payload() e: ConnectionStateChanged): Promise<void> {
    return this.live.announce(e.remote_id, e.online ? 'online' : 'offline');
  }

  @EventPattern(ConnectionConfirmedEvent.subject, CONSOLE_LIVE)
  confirmed(@Payload() e: ConnectionConfirmed): Promise<void> {
    return this.live.announce(e.remote_id, 'confirmed');
  }
}
