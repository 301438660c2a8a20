import { Module } from '@nestjs/common';
import { AppHealthModule } from '@fedchat/common';

/** Attachments and profile images between clusters, and the file store. */
@Module({
  imports: [AppHealthModule.forApp('file-transfer')],
})
export class FileTransferModule {}
