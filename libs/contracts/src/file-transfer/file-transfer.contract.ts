import { IsString } from 'class-validator';
import { defineEvent } from '../contract';

export class AttachmentsPending {
  @IsString() channel_id: string;
  @IsString() remote_id: string;
}

/**
 * Files of a shared channel wait to travel to a remote (rows queued in `shared_channel_attachments` by the sync
 * sender, which holds the channel's posts back until they are there). Only a doorbell: file-transfer replicas also
 * find due rows by polling.
 */
export const AttachmentsPendingEvent = defineEvent('file-transfer.attachments.pending', AttachmentsPending, 'one');

export class UserPictureChanged {
  @IsString() user_id: string;
}

/**
 * A local user's profile picture changed (emitted by the gateway after it is stored); file-transfer pushes it to every
 * remote that shares a channel with the user. Only a doorbell: `users.last_picture_update` is the record, polled too.
 */
export const UserPictureChangedEvent = defineEvent('chat.user.picture-changed', UserPictureChanged, 'one');
