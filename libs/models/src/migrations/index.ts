import { InitialSchema1763780000000 } from './1763780000000-initial-schema';
import { RemoteClusterLiveness1763790000000 } from './1763790000000-remote-cluster-liveness';
import { PostSearchIndex1763800000000 } from './1763800000000-post-search-index';
import { SharedChannelSync1763810000000 } from './1763810000000-shared-channel-sync';
import { AttachmentTransfers1763830000000 } from './1763830000000-attachment-transfers';
import { RemoteUploads1763820000000 } from './1763820000000-remote-uploads';
import { UserSync1763840000000 } from './1763840000000-user-sync';
import { LoginLockout1763850000000 } from './1763850000000-login-lockout';
import { ReadState1763860000000 } from './1763860000000-read-state';
import { MembershipSyncSeq1763870000000 } from './1763870000000-membership-sync-seq';
import { RolesPreferencesSidebar1763880000000 } from './1763880000000-roles-preferences-sidebar';
import { Schemes1763890000000 } from './1763890000000-schemes';
import { ChannelMetadataSync1763895000000 } from './1763895000000-channel-metadata-sync';
import { SyncDeadLetters1763896000000 } from './1763896000000-sync-dead-letters';
import { InvitationReviewPosts1763910000000 } from './1763910000000-invitation-review-posts';
import { SharedCopyArchived1763920000000 } from './1763920000000-shared-copy-archived';
import { ChannelModerations1763930000000 } from './1763930000000-channel-moderations';
import { UserChangeStamps1764150000000 } from './1764150000000-user-change-stamps';

export {
  InitialSchema1763780000000,
  RemoteClusterLiveness1763790000000,
  PostSearchIndex1763800000000,
  SharedChannelSync1763810000000,
  RemoteUploads1763820000000,
  AttachmentTransfers1763830000000,
  UserSync1763840000000,
  LoginLockout1763850000000,
  ReadState1763860000000,
  MembershipSyncSeq1763870000000,
  RolesPreferencesSidebar1763880000000,
  ChannelMetadataSync1763895000000,
  SyncDeadLetters1763896000000,
  InvitationReviewPosts1763910000000,
  SharedCopyArchived1763920000000,
  ChannelModerations1763930000000,
};

/** In order of application. */
export const MIGRATIONS = [
  InitialSchema1763780000000,
  RemoteClusterLiveness1763790000000,
  PostSearchIndex1763800000000,
  SharedChannelSync1763810000000,
  RemoteUploads1763820000000,
  AttachmentTransfers1763830000000,
  UserSync1763840000000,
  LoginLockout1763850000000,
  ReadState1763860000000,
  MembershipSyncSeq1763870000000,
  RolesPreferencesSidebar1763880000000,
  Schemes1763890000000,
  ChannelMetadataSync1763895000000,
  SyncDeadLetters1763896000000,
  InvitationReviewPosts1763910000000,
  SharedCopyArchived1763920000000,
  ChannelModerations1763930000000,
  UserChangeStamps1764150000000,
];
