import { Type } from 'class-transformer';
import { IsArray, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
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
