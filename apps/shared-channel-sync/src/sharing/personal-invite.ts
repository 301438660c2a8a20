import { GROUP_MAX_USERS, GROUP_MIN_USERS } from '@fedchat/chat';
import type { ChannelInvite } from './invite-payload';

/** A participant as the receiver resolved it: a local user (`remote_id` empty) or a synthetic user of some connection. */
export interface Participant {
  id: string;
  remote_id: string;
  delete_at: number;
}

/**
 * The shape rules of a direct or group channel invitation (protocol §4.1 step 3), before anything is written: the
 * participant count, no duplicates, a creator among the participants, and the ids listed with user data are
 * participants. Returns the reason to refuse, or undefined.
 */
export function personalInviteShapeProblem(invite: ChannelInvite): string | undefined {
  const ids = invite.direct_participant_ids;
  if (new Set(ids).size !== ids.length) return 'direct_participant_ids lists a user twice';
  if (invite.type === 'D' && ids.length !== 2) return `a direct channel has 2 participants, not ${ids.length}`;
  if (invite.type === 'G' && (ids.length < GROUP_MIN_USERS || ids.length > GROUP_MAX_USERS)) {
    return `a group channel has ${GROUP_MIN_USERS} to ${GROUP_MAX_USERS} participants, not ${ids.length}`;
  }
  if (invite.creator_id !== '' && !ids.includes(invite.creator_id)) return 'creator_id is not a participant';
  return undefined;
}

/**
 * The membership rules once participants are resolved here: a direct channel joins exactly one user of the sender
 * and one active local user; a group joins users of the sender and active local users, at least one of each. Every
 * remote participant belongs to the sender (users of other connections reach this cluster only through their own
 * connection; the sender cannot speak for them).
 */
export function personalInviteMembersProblem(type: 'D' | 'G', sender: string, participants: Participant[]): string | undefined {
  const local = participants.filter((p) => p.remote_id === '');
  const remote = participants.filter((p) => p.remote_id !== '');
  const foreign = remote.find((p) => p.remote_id !== sender);
  if (foreign) return `participant ${foreign.id} does not belong to the sender (remoteID mismatch)`;
  const inactive = local.find((p) => p.delete_at > 0);
  if (inactive) return `local participant ${inactive.id} is deactivated`;
  if (type === 'D' && (remote.length !== 1 || local.length !== 1)) {
    return 'a direct channel needs one user of the sender and one local user';
  }
  if (type === 'G' && (remote.length === 0 || local.length === 0)) return 'a group channel needs users of the sender and local users';
  return undefined;
}
