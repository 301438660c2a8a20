import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FileStoreModule } from '@fedchat/common';
import { FileInfo, SharedChannelRemote, UploadSession, User } from '@fedchat/models';
import { ReceivingHandlers } from './receiving.handlers';
import { UploadExpiry } from './upload-expiry.service';
import { UploadSessionReceiver } from './upload-session.receiver';

/** Files from peers: upload sessions for attachments they are about to send, and the expiry of abandoned ones. */
@Module({
  imports: [FileStoreModule, TypeOrmModule.forFeature([FileInfo, SharedChannelRemote, UploadSession, User])],
  controllers: [ReceivingHandlers],
  providers: [UploadSessionReceiver, UploadExpiry],
})
export class ReceivingModule {}
