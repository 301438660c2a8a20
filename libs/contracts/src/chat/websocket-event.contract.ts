import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { defineEvent } from '../contract';
import { RawJson } from '../raw-json';

/** Who receives a websocket event (Mattermost's `broadcast`): a user, a channel's members, or a team's members. */
export class WebSocketBroadcast {
  @IsOptional() @IsString() user_id?: string;
  @IsOptional() @IsString() channel_id?: string;
  @IsOptional() @IsString() team_id?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) omit_users?: string[];
  /** Channel member ids resolved by the publisher, so that receivers need no database round trip. */
  @IsOptional() @IsArray() @IsString({ each: true }) user_ids?: string[];
}

export class WebSocketEventMessage {
  @IsString() event: string;
  @RawJson() @IsObject() data: Record<string, unknown>;
  @ValidateNested() @Type(() => WebSocketBroadcast) broadcast: WebSocketBroadcast;
}

/** `gateway.websocket.event`: delivered to every gateway process, each of which forwards it to its own sockets. */
export const WebSocketEventPublished = defineEvent('gateway.websocket.event', WebSocketEventMessage, 'all');

/** One event of a batch: what is sent, the recipients being the batch's. */
export class WebSocketEventBody {
  @IsString() event: string;
  @RawJson() @IsObject() data: Record<string, unknown>;
}

/** Several events, in order, to the same recipients (e.g. the posts of one received sync message to a channel's members). */
export class WebSocketEventBatch {
  @ValidateNested() @Type(() => WebSocketBroadcast) broadcast: WebSocketBroadcast;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => WebSocketEventBody) events: WebSocketEventBody[];
}

/**
 * `gateway.websocket.events`: a batch as one bus message, so a batch of N events costs one publish, one validation
 * of the recipients and one delivery instead of N. Delivered to every gateway process, like `gateway.websocket.event`.
 */
export const WebSocketEventsPublished = defineEvent('gateway.websocket.events', WebSocketEventBatch, 'all');
