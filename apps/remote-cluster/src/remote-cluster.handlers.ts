import { Injectable, OnModuleInit } from '@nestjs/common';
import { Bus } from '@fedchat/common';
import {
  AcceptInvite,
  ConfirmInvite,
  CreateConnection,
  DeleteConnection,
  GenerateInvite,
  GetConnection,
  ListConnections,
  PatchConnection,
  SendToPeer,
} from '@fedchat/contracts';
import { ConnectionsService } from './connections/connections.service';
import { MessageSender } from './peers/message-sender.service';

/** The remote-cluster app's bus subjects, each answered by one replica. */
@Injectable()
export class RemoteClusterHandlers implements OnModuleInit {
  constructor(
    private readonly bus: Bus,
    private readonly connections: ConnectionsService,
    private readonly sender: MessageSender,
  ) {}

  onModuleInit(): void {
    this.bus.handle(CreateConnection, (req) => this.connections.create(req));
    this.bus.handle(AcceptInvite, (req) => this.connections.acceptInvite(req));
    this.bus.handle(GenerateInvite, async (req) => ({ invite: await this.connections.generateInvite(req.remote_id, req.password) }));
    this.bus.handle(GetConnection, (req) => this.connections.get(req.remote_id));
    this.bus.handle(ListConnections, async (req) => ({ remote_clusters: await this.connections.list(req) }));
    this.bus.handle(PatchConnection, (req) => this.connections.patch(req));
    this.bus.handle(DeleteConnection, async (req) => {
      await this.connections.delete(req.remote_id);
      return { status: 'OK' };
    });
    this.bus.handle(ConfirmInvite, (req) => this.connections.confirmInvite(req));
    this.bus.handle(SendToPeer, (req) => this.sender.send(req));
  }
}
