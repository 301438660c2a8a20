import { isValidId } from '@fedchat/crypto';
import type { Channel, SharedChannel } from '@fedchat/models';

/** The `sharedchannel_invite` payload (protocol §2.6). */
export interface ChannelInvite {
  channel_id: string;
  team_id: string;
  read_only: boolean;
  name: string;
  display_name: string;
  header: string;
  purpose: string;
  type: 'O' | 'P' | 'D' | 'G';
  creator_id: string;
  direct_participant_ids: string[];
  direct_participants: unknown[];
}

/** Limits of the columns the invite's fields land in (channels and shared_channels). */
export const INVITE_LIMITS = { name: 64, display_name: 64, purpose: 250, header: 1024 } as const;
/** Mattermost's team channel name rule, as the gateway applies it to local channels. */
const CHANNEL_NAME = /^[a-z0-9_-]{1,64}$/;
const TYPES = ['O', 'P', 'D', 'G'] as const;
/** Group channels have at most 8 members; a longer participant list is not a real invite. */
const MAX_PARTICIPANTS = 8;

export type ParsedInvite = { ok: true; invite: ChannelInvite } | { ok: false; err: string };

function runes(s: string): number {
  return [...s].length;
}

function optionalString(p: Record<string, unknown>, key: string, max: number): string | Error {
  const v = p[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') return new Error(`${key} must be a string`);
  if (runes(v) > max) return new Error(`${key} is longer than ${max} characters`);
  return v;
}

/**
 * Validates an invite received from a peer, field by field: ids are ids, the type is known, strings fit their
 * columns (and a team channel's name follows the local naming rule). Anything else is refused with the reason.
 * Unknown keys are ignored (newer peers may send more).
 */
export function parseInvitePayload(payload: unknown): ParsedInvite {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload))
    return { ok: false, err: 'invalid invite: payload is not an object' };
  const p = payload as Record<string, unknown>;
  const fail = (reason: string): ParsedInvite => ({ ok: false, err: `invalid invite: ${reason}` });
  if (!isValidId(p.channel_id)) return fail('channel_id is not a valid id');
  if (typeof p.type !== 'string' || !(TYPES as readonly string[]).includes(p.type)) return fail('type must be O, P, D or G');
  const type = p.type as ChannelInvite['type'];
  if (p.read_only !== undefined && typeof p.read_only !== 'boolean') return fail('read_only must be a boolean');
  const fields: Record<string, string> = {};
  for (const [key, max] of [
    ['name', INVITE_LIMITS.name],
    ['display_name', INVITE_LIMITS.display_name],
    ['purpose', INVITE_LIMITS.purpose],
    ['header', INVITE_LIMITS.header],
    ['team_id', 26],
    ['creator_id', 26],
  ] as const) {
    const v = optionalString(p, key, max);
    if (v instanceof Error) return fail(v.message);
    fields[key] = v;
  }
  if (fields.creator_id !== '' && !isValidId(fields.creator_id)) return fail('creator_id is not a valid id');
  if (type === 'O' || type === 'P') {
    if (!CHANNEL_NAME.test(fields.name)) return fail('name must be 1 to 64 lowercase letters, digits, "-" or "_"');
    if (fields.display_name.trim() === '') return fail('display_name is empty');
  }
  const ids = p.direct_participant_ids ?? [];
  if (!Array.isArray(ids) || ids.length > MAX_PARTICIPANTS || !ids.every((id) => isValidId(id))) {
    return fail('direct_participant_ids must be a list of at most 8 valid ids');
  }
  const participants = p.direct_participants ?? [];
  if (!Array.isArray(participants) || participants.length > MAX_PARTICIPANTS) {
    return fail('direct_participants must be a list of at most 8 users');
  }
  return {
    ok: true,
    invite: {
      channel_id: p.channel_id,
      team_id: fields.team_id,
      read_only: p.read_only === true,
      name: fields.name,
      display_name: fields.display_name,
      header: fields.header,
      purpose: fields.purpose,
      type,
      creator_id: fields.creator_id,
      direct_participant_ids: ids as string[],
      direct_participants: participants,
    },
  };
}

/** The invite the home sends for a team channel: name from the channel, the rest from the share record. */
export function invitePayloadFor(channel: Channel, shared: SharedChannel, readOnly: boolean): ChannelInvite {
  return {
    channel_id: channel.id,
    // Legacy: Mattermost no longer fills it (team ids are not global).
    team_id: '',
    read_only: readOnly,
    name: channel.name,
    display_name: shared.share_display_name,
    header: shared.share_header,
    purpose: shared.share_purpose,
    type: channel.type as ChannelInvite['type'],
    creator_id: shared.creator_id,
    direct_participant_ids: [],
    direct_participants: [],
  };
}
