import { Module } from '@nestjs/common';
import { FileStoreModule, PeerClient } from '@fedchat/common';
import { SendingModule } from '../sending/sending.module';
import { ProfileImagePusher } from './profile-image-pusher.service';
import { ProfileImagesHandlers } from './profile-images.handlers';

/** Local users' profile pictures, pushed to the remotes that know them. */
@Module({
  imports: [FileStoreModule, SendingModule],
  controllers: [ProfileImagesHandlers],
  providers: [PeerClient, ProfileImagePusher],
})
export class ProfileImagesModule {}
