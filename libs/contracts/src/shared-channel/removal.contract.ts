import { IsInt, IsString } from 'class-validator';
import { defineRpc } from '../contract';

export class ConnectionRemovalRequest {
  @IsString() remote_id: string;
}

export class ChannelsTold {
  /** Live, confirmed shares with the connection whose end the peer was told about (answered or not in time). */
  @IsInt() channels: number;
}

/**
 * The remote-cluster app is about to delete a connection: the sharing lifecycle tells the peer, per channel, that
 * each live share with it ends, while the peer still trusts us (the delete wipes the credentials). Answers within the
 * caller's bus timeout; the delete goes on whatever the answer.
 */
export const TellConnectionRemoval = defineRpc('shared-channel.connection.removing', ConnectionRemovalRequest, ChannelsTold);
