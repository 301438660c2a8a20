import { Module } from '@nestjs/common';
import { ChannelInviteReceiver } from './channel-invite-receiver.service';
import { ChannelInviteSender } from './channel-invite-sender.service';
import { InvitationPostActions } from './invitation-post-actions.service';
import { InvitationReviewPosts } from './invitation-review-posts.service';
import { PeerNotifier } from './peer-notifier.service';
import { ShareTeardown } from './share-teardown.service';
import { SharingHandlers } from './sharing.handlers';
import { SharingQueries } from './sharing-queries.service';

/**
 * The sharing lifecycle: inviting remotes to channels (and retrying until they accept), receiving invitations
 * (at once or after an admin's review, also from the system bot's review post), read-only shares, uninvite, unshare, and what follows a deleted connection
 * or an archived channel. ShareTeardown is exported for the sync engine (a peer answering "channel is no longer
 * shared"). Needs ChatModule (global) for the chat rules.
 */
@Module({
  controllers: [SharingHandlers],
  providers: [
    PeerNotifier,
    ShareTeardown,
    ChannelInviteSender,
    ChannelInviteReceiver,
    InvitationReviewPosts,
    InvitationPostActions,
    SharingQueries,
  ],
  exports: [ShareTeardown],
})
export class SharingModule {}
