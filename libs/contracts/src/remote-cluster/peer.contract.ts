import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { defineRpc } from '../contract';
import { RawJson } from '../raw-json';

/** Mattermost's RemoteClusterMsg: `payload` is an embedded JSON value, not a string. */
export class RemoteClusterMsg {
  @IsString() id: string;
  @IsString() @MaxLength(64) topic: string;
  @IsInt() create_at: number;
  @RawJson() @IsObject() payload: Record<string, unknown>;
}

/** Mattermost's remotecluster Response: `/msg` answers 200 with it even on failure. */
export class PeerResponse {
  @IsIn(['OK', 'FAIL']) status: 'OK' | 'FAIL';
  @IsOptional() @IsString() err?: string;
  @RawJson() @IsOptional() @IsObject() payload?: Record<string, unknown> | null;
}

/** An authenticated frame from a peer, handed by the gateway to the app that owns its topic. */
export class PeerMessageReceived {
  @IsString() remote_id: string;
  @ValidateNested() @Type(() => RemoteClusterMsg) msg: RemoteClusterMsg;
}

/** `invitation` frame from the accepting peer (protocol §3.3 step 3), authenticated with the invite token. */
export const ConfirmInvite = defineRpc('remote-cluster.invite.confirm', PeerMessageReceived, PeerResponse);

export class SendToPeerRequest {
  @IsString() remote_id: string;
  @IsString() @MaxLength(64) topic: string;
  @RawJson() @IsObject() payload: Record<string, unknown>;
}

/**
 * Sends a message to a peer's `/api/v4/remotecluster/msg` and returns its Response; the one way any app talks to a
 * peer. A transport failure or a non-200 answer comes back as `FAIL` with the reason in `err`. The requester waits
 * longer than the peer request's own deadline (PeerClient's SEND_TIMEOUT_MS, 60 s): a sender that gave up first
 * would send the same batch again while the peer was still applying it, and a slow peer would never catch up.
 */
export const SendToPeer = defineRpc('remote-cluster.message.send', SendToPeerRequest, PeerResponse, { timeoutMs: 65_000 });

/**
 * Topics a peer may send to `/msg`, and the app that owns each (the subject is `peer.<topic>.received`). A topic not
 * listed answers OK with no payload, as Mattermost does for topics without a listener; a listed topic whose owner
 * does not answer answers FAIL, so that the peer retries rather than believing it delivered.
 */
export const PEER_TOPICS = {
  sharedchannel_invite: 'shared-channel-sync',
  sharedchannel_sync: 'shared-channel-sync',
  sharedchannel_membership: 'shared-channel-sync',
  sharedchannel_unshare: 'shared-channel-sync',
  sharedchannel_global_user_sync: 'user-sync',
  sharedchannel_upload: 'file-transfer',
} as const;
export type PeerTopic = keyof typeof PEER_TOPICS;

/** Own keys only: a topic named like an `Object.prototype` member (`constructor`, `toString`) is an unknown topic. */
export function isPeerTopic(topic: string): topic is PeerTopic {
  return Object.hasOwn(PEER_TOPICS, topic);
}

/**
 * How long the gateway waits for the owner of a peer's message: just under the peer's own deadline (60 s, Mattermost's
 * SendTimeout and ours). With the bus's general 10 s, a receiver slowed by load answered FAIL while it went on applying
 * the batch; the peer sent the whole batch again, the copies queued behind each other, and its backlog never drained.
 */
export const PEER_RECEIVE_TIMEOUT_MS = 55_000;

export function peerTopicContract(topic: PeerTopic) {
  return defineRpc(`peer.${topic}.received`, PeerMessageReceived, PeerResponse, { timeoutMs: PEER_RECEIVE_TIMEOUT_MS });
}
