import { AppConfig } from '@fedchat/common';
import { PeerResponse } from '@fedchat/contracts';
import { describeZodError, SyncMsg, SyncMsgSchema } from '../sync-message';

/** A message to apply, or the answer to give at once (`refused`: the payload is malformed). */
export type GateResult = { msg: SyncMsg } | { answer: PeerResponse; refused?: string };

/**
 * Parsing of `sharedchannel_sync` / `sharedchannel_membership` (protocol §4.2): a malformed payload is refused
 * whole; a message this app has nothing to do with is answered OK at once, as Mattermost answers it.
 */
export function admitSyncMessage(payload: Record<string, unknown>, config: AppConfig): GateResult {
  const parsed = SyncMsgSchema.safeParse(payload);
  if (!parsed.success) {
    const reason = describeZodError(parsed.error);
    return { answer: { status: 'FAIL', err: reason }, refused: reason };
  }
  const msg = parsed.data;
  const onlyMemberships =
    (msg.membership_changes?.length ?? 0) > 0 &&
    ![
      msg.users && Object.keys(msg.users).length,
      msg.posts?.length,
      msg.reactions?.length,
      msg.acknowledgements?.length,
      msg.statuses?.length,
    ].some(Boolean);
  if (onlyMemberships && !config.featureFlags.enableSharedChannelsMemberSync) {
    // Mattermost's answer when membership sync is off: OK, nothing confirmed.
    return { answer: { status: 'OK', payload: null } };
  }
  if (msg.channel_id === '') {
    // Global user sync travels on its own topic (the user-sync app); nothing to do here, as Mattermost answers.
    return { answer: { status: 'OK', payload: null } };
  }
  return { msg };
}
