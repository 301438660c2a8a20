import { MessageHandlers } from '@fedchat/common';
import { ConnectionStateChanged, ConnectionStateChangedEvent, UserPictureChanged, UserPictureChangedEvent } from '@fedchat/contracts';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ProfileImagePusher } from './profile-image-pusher.service';

/** Its own consumer: the transfers of the same app also wake when a remote comes online, and must keep their copy. */
const PROFILE_IMAGES = { consumer: 'file-transfer.profile-images' };

/** The doorbells of the profile picture push: a local picture changed, a remote back online. */
@MessageHandlers()
export class ProfileImagesHandlers {
  constructor(private readonly pusher: ProfileImagePusher) {}

  @EventPattern(UserPictureChangedEvent.subject, PROFILE_IMAGES)
  pictureChanged(@Payload() _e: UserPictureChanged): void {
    this.pusher.ring();
  }

  @EventPattern(ConnectionStateChangedEvent.subject, PROFILE_IMAGES)
  connectionStateChanged(@Payload() e: ConnectionStateChanged): void {
    if (e.online) this.pusher.ring();
  }
}
