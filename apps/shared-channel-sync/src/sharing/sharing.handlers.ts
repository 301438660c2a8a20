import { Injectable, OnModuleInit } from '@nestjs/common';
import { Bus } from '@fedchat/common';
import {
  ChannelArchivedEvent,
  ConnectionDeletedEvent,
  ConnectionStateChangedEvent,
  DecideInvitation,
  GetChannelShareStatus,
  GetRemoteInfo,
  InviteRemote,
  ListChannelRemotes,
  ListChannelShares,
  ListInvitations,
  ListSharedChannels,
  peerTopicContract,
  ShareDirectChannel,
  UninviteRemote,
  UnshareChannel,
} from '@fedchat/contracts';
import { ChannelInviteReceiver } from './channel-invite-receiver.service';
import { ChannelInviteSender } from './channel-invite-sender.service';
import { ShareTeardown } from './share-teardown.service';
import { SharingQueries } from './sharing-queries.service';

/**
 * Consumer name of the sharing lifecycle's event subscriptions. Its own name (not the app's): the sync engine of the
 * same app consumes some of the same events, and two subscriptions in one queue group would split them.
 */
export const SHARING_CONSUMER = 'shared-channel-sync.sharing';

/** The sharing lifecycle's bus subjects: RPCs from the gateway, peer topics, and the events it reacts to. */
@Injectable()
export class SharingHandlers implements OnModuleInit {
  constructor(
    private readonly bus: Bus,
    private readonly inviteSender: ChannelInviteSender,
    private readonly inviteReceiver: ChannelInviteReceiver,
    private readonly teardown: ShareTeardown,
    private readonly queries: SharingQueries,
  ) {}

  onModuleInit(): void {
    this.bus.handle(InviteRemote, (req) => this.inviteSender.invite(req));
    this.bus.handle(ShareDirectChannel, (req) => this.inviteSender.shareDirect(req));
    this.bus.handle(UninviteRemote, (req) => this.teardown.uninvite(req));
    this.bus.handle(UnshareChannel, (req) => this.teardown.unshare(req));
    this.bus.handle(GetChannelShareStatus, (req) => this.queries.shareStatus(req));
    this.bus.handle(ListSharedChannels, (req) => this.queries.sharedChannels(req));
    this.bus.handle(ListChannelRemotes, (req) => this.queries.channelRemotes(req));
    this.bus.handle(GetRemoteInfo, (req) => this.queries.remoteInfo(req));
    this.bus.handle(ListChannelShares, (req) => this.queries.channelShares(req));
    this.bus.handle(ListInvitations, (req) => this.inviteReceiver.list(req));
    this.bus.handle(DecideInvitation, (req) => this.inviteReceiver.decide(req));

    this.bus.handle(peerTopicContract('sharedchannel_invite'), (req) => this.inviteReceiver.receive(req));
    this.bus.handle(peerTopicContract('sharedchannel_unshare'), (req) => this.teardown.receiveUnshare(req));

    this.bus.on(ConnectionStateChangedEvent, (e) => (e.online ? this.inviteSender.retryRemote(e.remote_id) : undefined), SHARING_CONSUMER);
    this.bus.on(ConnectionDeletedEvent, (e) => this.teardown.connectionDeleted(e.remote_id), SHARING_CONSUMER);
    this.bus.on(ChannelArchivedEvent, (e) => this.teardown.channelArchived(e.channel_id), SHARING_CONSUMER);
  }
}
