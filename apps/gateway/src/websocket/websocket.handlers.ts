import { MessageHandlers } from '@fedchat/common';
import { WebSocketEventBatch, WebSocketEventMessage, WebSocketEventPublished, WebSocketEventsPublished } from '@fedchat/contracts';
import { EventPattern, Payload } from '@nestjs/microservices';
import { WebSocketHub } from './websocket.hub';

/** Websocket fan-out: every gateway process gets each event (`all` delivery) and sends it to its own sockets. */
@MessageHandlers()
export class WebSocketHandlers {
  constructor(private readonly hub: WebSocketHub) {}

  @EventPattern(WebSocketEventPublished.subject)
  published(@Payload() event: WebSocketEventMessage): void {
    this.hub.deliver(event);
  }

  @EventPattern(WebSocketEventsPublished.subject)
  publishedBatch(@Payload() batch: WebSocketEventBatch): void {
    this.hub.deliverBatch(batch);
  }
}
