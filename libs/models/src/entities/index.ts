import { Channel } from './channel.entity';
import { ChannelMember } from './channel-member.entity';
import { ChannelModeration } from './channel-moderation.entity';
import { ChannelMemberHistory } from './channel-member-history.entity';
import { FileInfo } from './file-info.entity';
import { Post } from './post.entity';
import { PostAcknowledgement } from './post-acknowledgement.entity';
import { PostPriority } from './post-priority.entity';
import { Preference } from './preference.entity';
import { Reaction } from './reaction.entity';
import { RemoteCluster } from './remote-cluster.entity';
import { Role } from './role.entity';
import { Scheme } from './scheme.entity';
import { Session } from './session.entity';
import { SharedChannel } from './shared-channel.entity';
import { SharedChannelInvitation } from './shared-channel-invitation.entity';
import { SharedChannelAttachment } from './shared-channel-attachment.entity';
import { SharedChannelRemote } from './shared-channel-remote.entity';
import { SharedChannelUser } from './shared-channel-user.entity';
import { SidebarCategory } from './sidebar-category.entity';
import { SidebarChannel } from './sidebar-channel.entity';
import { Status } from './status.entity';
import { System } from './system.entity';
import { Team } from './team.entity';
import { TeamMember } from './team-member.entity';
import { ThreadMembership } from './thread-membership.entity';
import { UploadSession } from './upload-session.entity';
import { User } from './user.entity';
import { UserAccessToken } from './user-access-token.entity';

export { bigintNumber } from './columns';
export type { InvitationStatus } from './shared-channel-invitation.entity';
export type { AttachmentTransferStatus } from './shared-channel-attachment.entity';
export {
  Channel,
  ChannelMember,
  ChannelModeration,
  ChannelMemberHistory,
  FileInfo,
  Post,
  PostAcknowledgement,
  PostPriority,
  Preference,
  Reaction,
  RemoteCluster,
  Role,
  Scheme,
  Session,
  SharedChannel,
  SharedChannelAttachment,
  SharedChannelInvitation,
  SharedChannelRemote,
  SharedChannelUser,
  SidebarCategory,
  SidebarChannel,
  Status,
  System,
  Team,
  TeamMember,
  ThreadMembership,
  UploadSession,
  User,
  UserAccessToken,
};

export const ENTITIES = [
  User,
  Session,
  UserAccessToken,
  Team,
  TeamMember,
  Channel,
  ChannelMember,
  ChannelMemberHistory,
  Post,
  PostPriority,
  PostAcknowledgement,
  Reaction,
  ThreadMembership,
  Status,
  FileInfo,
  UploadSession,
  RemoteCluster,
  SharedChannel,
  SharedChannelRemote,
  SharedChannelUser,
  SharedChannelAttachment,
  SharedChannelInvitation,
  System,
  Role,
  Scheme,
  Preference,
  SidebarCategory,
  SidebarChannel,
  ChannelModeration,
];
