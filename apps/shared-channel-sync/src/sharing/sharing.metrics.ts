import { counter } from '@fedchat/common';

/**
 * Channel invitations by outcome. Home side: `delivered` (the remote accepted), `pending_review` (the remote keeps it
 * for an admin), `failed` (kept and retried). Guest side: `accepted`, `review` (stored for an admin), `refused`.
 */
export const invitesTotal = counter({
  name: 'fedchat_shared_channels_invites_total',
  help: 'Shared channel invitations sent or received, by result',
  labelNames: ['result'] as const,
});
