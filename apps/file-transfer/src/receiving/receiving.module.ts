import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FileInfo, SharedChannelRemote, UploadSession, User } from '@fedchat/models';
import { ReceivingHandlers } from './receiving.handlers';
import { UploadSessionReceiver } from './upload-session.receiver';

/** Files from peers: upload sessions for attachments they are about to send. */
@Module({
  imports: [TypeOrmModule.forFeature([FileInfo, SharedChannelRemote, UploadSession, User])],
  providers: [UploadSessionReceiver, ReceivingHandlers],
})
export class ReceivingModule {}
