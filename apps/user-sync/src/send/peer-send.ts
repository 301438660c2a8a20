import { Bus } from '@fedchat/common';
import { SendToPeer } from '@fedchat/contracts';
import { newId } from '@fedchat/crypto';

/** A delivery the remote did not confirm: transport failure, FAIL, or an answer without a payload. */
export class PeerSendError extends Error {}

/** The remote answered FAIL: it is reachable, but could not apply this message (e.g. a failure on its side). */
export class RemoteFailedError extends PeerSendError {}

/** OK without a payload: the remote took the message but applied nothing (e.g. that part of user sync is off there). */
export class NotConfirmedError extends PeerSendError {}

/**
 * Sends one SyncMsg to a remote and returns the payload of its answer. Only an OK answer WITH a payload counts as
 * delivered (protocol §2.5: a missing payload means "not confirmed"), so cursors move only after one.
 */
export async function sendSyncMsg(
  bus: Bus,
  remoteId: string,
  topic: 'sharedchannel_sync' | 'sharedchannel_global_user_sync',
  content: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  let answer;
  try {
    answer = await bus.request(SendToPeer, { remote_id: remoteId, topic, payload: { id: newId(), ...content } });
  } catch (err) {
    throw new PeerSendError(err instanceof Error ? err.message : String(err));
  }
  if (answer.status !== 'OK') throw new RemoteFailedError(answer.err ?? 'FAIL');
  if (!answer.payload || typeof answer.payload !== 'object') throw new NotConfirmedError('the remote did not confirm the message');
  return answer.payload;
}

/** A string list from a peer's SyncResponse (anything else reads as empty). */
export function idList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
