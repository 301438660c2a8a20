import { createHash } from 'node:crypto';
import { AppError } from '@fedchat/common';

/**
 * Names of direct and group channels, as Mattermost computes them. They depend only on the member ids, so a
 * cluster that receives a shared DM or GM computes the same name as its home.
 */

/** Group channels have 3 to 8 members. */
export const GROUP_MIN_USERS = 3;
export const GROUP_MAX_USERS = 8;
const DISPLAY_NAME_MAX = 64;

/** The name of a direct channel: the two user ids, smaller first, joined by "__". */
export function directChannelName(a: string, b: string): string {
  return a < b ? `${a}__${b}` : `${b}__${a}`;
}

/** The name of a group channel: the SHA-1 hex digest of the sorted member ids concatenated. */
export function groupChannelName(userIds: string[]): string {
  return createHash('sha1')
    .update([...userIds].sort().join(''))
    .digest('hex');
}

/** The display name of a group channel: the members' usernames, sorted, joined by ", ", cut at 64 characters. */
export function groupDisplayName(usernames: string[]): string {
  const chars = [...[...usernames].sort().join(', ')];
  return chars.slice(0, DISPLAY_NAME_MAX).join('');
}

/**
 * Refusal of a DM or GM with a user who reached this workspace through another one: the invitation goes to the
 * connection that owns the user here, which cannot create the channel for a user it does not own.
 */
export function notDirectlyConnectedError(username: string): AppError {
  return AppError.badRequest(
    'api.shared_channel.direct.not_directly_connected.app_error',
    `${username} belongs to a workspace this one is not connected to directly; direct and group messages need a direct connection.`,
  );
}
