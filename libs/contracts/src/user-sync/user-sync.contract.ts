import { IsArray, IsBoolean, IsInt, IsObject, IsString } from 'class-validator';
import { defineEvent, defineRpc } from '../contract';
import { RawJson } from '../raw-json';

export class UserChanged {
  @IsString() user_id: string;
}

/**
 * A user's profile changed (names, nickname, position, locale, timezone, username, deactivation), with `update_at`
 * bumped. Only a doorbell for the user-sync app: `users.update_at` against `shared_channel_users.last_sync_at` is the
 * durable record, which user-sync replicas also find by polling.
 */
export const UserProfileChangedEvent = defineEvent('chat.user.profile-changed', UserChanged, 'one');

/** Mattermost `model.Status` as it travels (`dnd_end_time` in seconds). */
export class UserStatus {
  @IsString() user_id: string;
  @IsString() status: string;
  @IsBoolean() manual: boolean;
  @IsInt() last_activity_at: number;
  @IsInt() dnd_end_time: number;
}

/** A user's presence changed (manual or activity-driven); the user-sync app tells the remotes sharing a channel with them. */
export const UserStatusChangedEvent = defineEvent('chat.user.status-changed', UserStatus, 'one');

export class ChannelMembersChanged {
  @IsString() channel_id: string;
}

/**
 * Members of a shared channel joined or left (locally or from a peer). Only a doorbell: `channel_member_history` past
 * each pair's `last_members_sync_at` is the durable record.
 */
export const ChannelMembersChangedEvent = defineEvent('chat.channel.members-changed', ChannelMembersChanged, 'one');

export class ApplyChannelChangesRequest {
  /** The sender, already authenticated by the gateway. */
  @IsString() remote_id: string;
  /** The channel of the `sharedchannel_sync` message, already checked to be shared with the sender. */
  @IsString() channel_id: string;
  /** Unvalidated items from the peer; the user-sync app validates each. */
  @RawJson() @IsArray() @IsObject({ each: true }) statuses: Record<string, unknown>[];
  @RawJson() @IsArray() @IsObject({ each: true }) membership_changes: Record<string, unknown>[];
}

export class ApplyChannelChangesReply {
  /** User ids whose status was refused. */
  @IsArray() @IsString({ each: true }) status_errors: string[];
  /** User ids whose membership change was refused. */
  @IsArray() @IsString({ each: true }) membership_errors: string[];
}

/**
 * The statuses and membership changes of a received `sharedchannel_sync` message, applied by the user-sync app after
 * the shared-channel-sync receiver has applied the rest (users first, so that an added user exists). It waits up to
 * 45 s, inside the 55 s the gateway gives the whole message (PEER_RECEIVE_TIMEOUT_MS): with the bus's general 10 s, a
 * cluster slowed by load answered FAIL while user-sync went on applying, and the peer's copies of the message failed
 * the same way one after another (chaos seed 7, three clusters).
 */
export const ApplyChannelChanges = defineRpc('user-sync.channel-changes.apply', ApplyChannelChangesRequest, ApplyChannelChangesReply, {
  timeoutMs: 45_000,
});

export class GlobalUserSyncRequest {
  @IsString() remote_id: string;
}

/** How far the global user sync with one connection is: local users sent so far (by the cursor) of all of them. */
export class GlobalUserSyncProgress {
  @IsString() remote_id: string;
  @IsInt() users_total: number;
  @IsInt() users_sent: number;
  @IsBoolean() in_progress: boolean;
}

/** Sends every local user to one connection again from the start (an admin's manual full sync). */
export const RestartGlobalUserSync = defineRpc('user-sync.global-sync.restart', GlobalUserSyncRequest, GlobalUserSyncProgress);
/** The progress of the global user sync with one connection. */
export const GetGlobalUserSyncProgress = defineRpc('user-sync.global-sync.progress', GlobalUserSyncRequest, GlobalUserSyncProgress);
