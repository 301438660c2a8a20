import { MessageHandlers } from '@fedchat/common';
import {
  AcceptInvite,
  AcceptInviteRequest,
  ConfirmInvite,
  ConnectionChanged,
  ConnectionChangedEvent,
  ConnectionIdRequest,
  ConnectionListReply,
  CreateConnection,
  CreateConnectionReply,
  CreateConnectionRequest,
  DeleteConnection,
  GenerateInvite,
  GenerateInviteReply,
  GenerateInviteRequest,
  GetConnection,
  ListConnections,
  ListConnectionsRequest,
  OkReply,
  PatchConnection,
  PatchConnectionRequest,
  PeerMessageReceived,
  PeerResponse,
  RemoteClusterJson,
  SendToPeer,
  SendToPeerRequest,
} from '@fedchat/contracts';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ConnectionsService } from './connections/connections.service';
import { MessageSender } from './peers/message-sender.service';

/** The remote-cluster app's requests: connections for the gateway, the invitation confirm topic, sends to peers. */
@MessageHandlers()
export class RemoteClusterHandlers {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly sender: MessageSender,
  ) {}

  @MessagePattern(CreateConnection.subject)
  create(@Payload() req: CreateConnectionRequest): Promise<CreateConnectionReply> {
    return this.connections.create(req);
  }

  @MessagePattern(AcceptInvite.subject)
  acceptInvite(@Payload() req: AcceptInviteRequest): Promise<RemoteClusterJson> {
    return this.connections.acceptInvite(req);
  }

  @MessagePattern(GenerateInvite.subject)
  async generateInvite(@Payload() req: GenerateInviteRequest): Promise<GenerateInviteReply> {
    return { invite: await this.connections.generateInvite(req.remote_id, req.password) };
  }

  @MessagePattern(GetConnection.subject)
  get(@Payload() req: ConnectionIdRequest): Promise<RemoteClusterJson> {
    return this.connections.get(req.remote_id);
  }

  @MessagePattern(ListConnections.subject)
  async list(@Payload() req: ListConnectionsRequest): Promise<ConnectionListReply> {
    return { remote_clusters: await this.connections.list(req) };
  }

  @MessagePattern(PatchConnection.subject)
  patch(@Payload() req: PatchConnectionRequest): Promise<RemoteClusterJson> {
    return this.connections.patch(req);
  }

  @MessagePattern(DeleteConnection.subject)
  async delete(@Payload() req: ConnectionIdRequest): Promise<OkReply> {
    await this.connections.delete(req.remote_id);
    return { status: 'OK' };
  }

  @MessagePattern(ConfirmInvite.subject)
  confirmInvite(@Payload() req: PeerMessageReceived): Promise<PeerResponse> {
    return this.connections.confirmInvite(req);
  }

  @MessagePattern(SendToPeer.subject)
  send(@Payload() req: SendToPeerRequest): Promise<PeerResponse> {
    return this.sender.send(req);
  }

  /** A connection row changed in some process: every replica (`all` delivery) drops its cached row. */
  @EventPattern(ConnectionChangedEvent.subject)
  connectionChanged(@Payload() event: ConnectionChanged): void {
    this.sender.forgetConnection(event.remote_id);
  }
}
