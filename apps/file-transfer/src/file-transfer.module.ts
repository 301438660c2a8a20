import { Module } from '@nestjs/common';
import { AppHealthModule } from '@fedchat/common';
import { ProfileImagesModule } from './profile-images/profile-images.module';
import { ReceivingModule } from './receiving/receiving.module';
import { SendingModule } from './sending/sending.module';

/** Attachments and profile images between clusters, and the file store. */
@Module({
  imports: [AppHealthModule.forApp('file-transfer'), ReceivingModule, SendingModule, ProfileImagesModule],
})
export class FileTransferModule {}
