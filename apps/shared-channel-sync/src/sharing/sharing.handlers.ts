import { MessageHandlers } from '@fedchat/common';
import {
  ChangedReply,
  ChannelArchived,
  ChannelArchivedEvent,
  ChannelRemoteRequest,
  ChannelRemotesRequest,
  ChannelRequest,
  ChannelShareStatusReply,
  ChannelsTold,
  ConnectionRemovalRequest,
  ConnectionConfirmed,
  ConnectionConfirmedEvent,
  ConnectionDeleted,
  ConnectionDeletedEvent,
  ConnectionStateChanged,
  ConnectionStateChangedEvent,
  DecideInvitation,
  DecideInvitationRequest,
  GetChannelShareStatus,
  GetRemoteInfo,
  InvitationListReply,
  InvitationPostAction,
  InvitationPostActionReply,
  InvitationPostActionRequest,
  InviteRemote,
  InviteRemoteReply,
  InviteRemoteRequest,
  ListChannelRemotes,
  ListChannelShares,
  ListChannelSharesRequest,
  ListInvitations,
  ListInvitationsRequest,
  ListSharedChannels,
  ListSharedChannelsRequest,
  PeerMessageReceived,
  PeerResponse,
  peerTopicContract,
  RemoteClusterInfoJson,
  RemoteInfoListReply,
  RemoteInfoRequest,
  ShareDirectChannel,
  ShareDirectChannelReply,
  ShareDirectChannelRequest,
  SharedChannelInvitationJson,
  SharedChannelListReply,
  SharedChannelRemoteListReply,
  TellConnectionRemoval,
  UninviteRemote,
  UnshareChannel,
} from '@fedchat/contracts';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ChannelInviteReceiver } from './channel-invite-receiver.service';
import { ChannelInviteSender } from './channel-invite-sender.service';
import { InvitationPostActions } from './invitation-post-actions.service';
import { ShareTeardown } from './share-teardown.service';
import { SharingQueries } from './sharing-queries.service';

/**
 * Consumer of the sharing lifecycle's events. Its own name (not the app's): the sync engine of the same app consumes
 * some of the same events, and two handlers in one queue group would split them.
 */
const SHARING = { consumer: 'shared-channel-sync.sharing' };

/** The sharing lifecycle: requests from the gateway, its peer topics, and the events it reacts to. */
@MessageHandlers()
export class SharingHandlers {
  constructor(
    private readonly inviteSender: ChannelInviteSender,
    private readonly inviteReceiver: ChannelInviteReceiver,
    private readonly teardown: ShareTeardown,
    private readonly queries: SharingQueries,
    private readonly invitationPostActions: InvitationPostActions,
  ) {}

  @MessagePattern(InviteRemote.subject)
  invite(@Payload() req: InviteRemoteRequest): Promise<InviteRemoteReply> {
    return this.inviteSender.invite(req);
  }

  @MessagePattern(ShareDirectChannel.subject)
  shareDirect(@Payload() req: ShareDirectChannelRequest): Promise<ShareDirectChannelReply> {
    return this.inviteSender.shareDirect(req);
  }

  @MessagePattern(UninviteRemote.subject)
  uninvite(@Payload() req: ChannelRemoteRequest): Promise<ChangedReply> {
    return this.teardown.uninvite(req);
  }

  @MessagePattern(UnshareChannel.subject)
  unshare(@Payload() req: ChannelRequest): Promise<ChangedReply> {
    return this.teardown.unshare(req);
  }

  @MessagePattern(TellConnectionRemoval.subject)
  connectionRemoving(@Payload() req: ConnectionRemovalRequest): Promise<ChannelsTold> {
    return this.teardown.tellConnectionRemoval(req.remote_id);
  }

  @MessagePattern(GetChannelShareStatus.subject)
  shareStatus(@Payload() req: ChannelRequest): Promise<ChannelShareStatusReply> {
    return this.queries.shareStatus(req);
  }

  @MessagePattern(ListSharedChannels.subject)
  sharedChannels(@Payload() req: ListSharedChannelsRequest): Promise<SharedChannelListReply> {
    return this.queries.sharedChannels(req);
  }

  @MessagePattern(ListChannelRemotes.subject)
  channelRemotes(@Payload() req: ChannelRemotesRequest): Promise<RemoteInfoListReply> {
    return this.queries.channelRemotes(req);
  }

  @MessagePattern(GetRemoteInfo.subject)
  remoteInfo(@Payload() req: RemoteInfoRequest): Promise<RemoteClusterInfoJson> {
    return this.queries.remoteInfo(req);
  }

  @MessagePattern(ListChannelShares.subject)
  channelShares(@Payload() req: ListChannelSharesRequest): Promise<SharedChannelRemoteListReply> {
    return this.queries.channelShares(req);
  }

  @MessagePattern(ListInvitations.subject)
  invitations(@Payload() req: ListInvitationsRequest): Promise<InvitationListReply> {
    return this.inviteReceiver.list(req);
  }

  @MessagePattern(DecideInvitation.subject)
  decideInvitation(@Payload() req: DecideInvitationRequest): Promise<SharedChannelInvitationJson> {
    return this.inviteReceiver.decide(req);
  }

  @MessagePattern(InvitationPostAction.subject)
  invitationPostAction(@Payload() req: InvitationPostActionRequest): Promise<InvitationPostActionReply> {
    return this.invitationPostActions.act(req);
  }

  @MessagePattern(peerTopicContract('sharedchannel_invite').subject)
  inviteReceived(@Payload() req: PeerMessageReceived): Promise<PeerResponse> {
    return this.inviteReceiver.receive(req);
  }

  @MessagePattern(peerTopicContract('sharedchannel_unshare').subject)
  unshareReceived(@Payload() req: PeerMessageReceived): Promise<PeerResponse> {
    return this.teardown.receiveUnshare(req);
  }

  @EventPattern(ConnectionStateChangedEvent.subject, SHARING)
  async connectionStateChanged(@Payload() e: ConnectionStateChanged): Promise<void> {
    if (e.online) await this.inviteSender.retryRemote(e.remote_id);
  }

  @EventPattern(ConnectionConfirmedEvent.subject, SHARING)
  connectionConfirmed(@Payload() e: ConnectionConfirmed): Promise<void> {
    return this.inviteSender.connectionConfirmed(e.remote_id);
  }

  @EventPattern(ConnectionDeletedEvent.subject, SHARING)
  connectionDeleted(@Payload() e: ConnectionDeleted): Promise<void> {
    return this.teardown.connectionDeleted(e.remote_id);
  }

  @EventPattern(ChannelArchivedEvent.subject, SHARING)
  channelArchived(@Payload() e: ChannelArchived): Promise<void> {
    return this.teardown.channelArchived(e.channel_id);
  }
}
