import { createHash } from 'node:crypto';
import { AppConfig, remoteClusterServiceEnabled } from '@fedchat/common';

/**
 * The Mattermost server version whose `/api/v4` the suite follows. The apps compare it to decide which endpoints and
 * features to use (`isMinimumServerVersion`); 10.11 is an extended-support release the current apps accept.
 */
export const MATTERMOST_VERSION = '10.11.0';

/** Mattermost's build number names the build; here the suite (no dots: clients split the version id on them). */
export const BUILD_NUMBER = 'fedchat';

const str = (v: boolean | number | string) => String(v);

/**
 * Mattermost's client config (`GET /config/client?format=old`): every value a string, as the apps expect. Each
 * setting says what the suite really does, so that the apps offer only what works here. `DiagnosticId` is added by
 * the service (it lives in the database). Keys the apps read but the suite has nothing for are given Mattermost's
 * value for a server without that feature.
 */
export function clientConfigOf(config: AppConfig): Record<string, string> {
  const sharing = config.connectedWorkspaces;
  const flags = config.featureFlags;
  return {
    ...limitedClientConfigOf(config),
    EnableCustomUserStatuses: 'false',
    EnableLastActiveTime: 'true',
    EnableUserDeactivation: 'true',
    RestrictDirectMessage: 'any',
    TeammateNameDisplay: 'username',
    LockTeammateNameDisplay: 'false',
    ExperimentalPrimaryTeam: '',
    ExperimentalViewArchivedChannels: 'true',
    EnableOAuthServiceProvider: 'false',
    GoogleDeveloperKey: '',
    EnableIncomingWebhooks: 'false',
    EnableOutgoingWebhooks: 'false',
    EnableCommands: 'false',
    EnablePostUsernameOverride: 'false',
    EnablePostIconOverride: 'false',
    EnableUserAccessTokens: 'true',
    EnableLinkPreviews: 'false',
    EnablePermalinkPreviews: 'false',
    EnableTesting: 'false',
    EnableDeveloper: 'false',
    EnableClientPerformanceDebugging: 'false',
    PostEditTimeLimit: '-1',
    MinimumHashtagLength: '3',
    EnablePreviewFeatures: 'false',
    EnableTutorial: 'false',
    EnableOnboardingFlow: 'false',
    ExperimentalEnableDefaultChannelLeaveJoinMessages: 'true',
    ExperimentalGroupUnreadChannels: 'disabled',
    EnableSVGs: 'false',
    EnableMarketplace: 'false',
    EnableLatex: 'false',
    EnableInlineLatex: 'false',
    ExtendSessionLengthWithActivity: 'false',
    ManagedResourcePaths: '',
    ExperimentalEnablePostMetadata: 'true',
    DisableAppBar: 'false',
    ExperimentalEnableAutomaticReplies: 'false',
    ExperimentalTimezone: 'true',
    SendEmailNotifications: 'false',
    SendPushNotifications: 'false',
    RequireEmailVerification: 'false',
    EnableEmailBatching: 'false',
    EnablePreviewModeBanner: 'false',
    EmailNotificationContentsType: 'full',
    ShowEmailAddress: str(config.privacy.showEmailAddress),
    ShowFullName: str(config.privacy.showFullName),
    EnableFileAttachments: str(config.files.enableFileAttachments),
    EnablePublicLink: 'false',
    EnableMobileFileDownload: str(config.files.enableFileAttachments),
    EnableMobileFileUpload: str(config.files.enableFileAttachments),
    MaxFileSize: str(config.files.maxFileSize),
    AvailableLocales: '',
    SQLDriverName: 'postgres',
    EnableEmojiPicker: 'true',
    EnableGifPicker: 'false',
    MaxNotificationsPerChannel: '1000',
    EnableConfirmNotificationsToChannel: 'true',
    TimeBetweenUserTypingUpdatesMilliseconds: '5000',
    EnableUserTypingMessages: 'true',
    EnableChannelViewedMessages: 'true',
    RunJobs: 'true',
    EnableEmailInvitations: 'false',
    CWSURL: '',
    DisableRefetchingOnBrowserFocus: 'false',
    ExperimentalEnableAuthenticationTransfer: 'false',
    EnableCompliance: 'false',
    EnableCluster: 'false',
    EnableMetrics: 'false',
    EnableBanner: 'false',
    BannerText: '',
    BannerColor: '',
    BannerTextColor: '',
    AllowBannerDismissal: 'false',
    EnableThemeSelection: 'true',
    DefaultTheme: '',
    AllowCustomThemes: 'true',
    AllowedThemes: '',
    DataRetentionEnableMessageDeletion: 'false',
    DataRetentionMessageRetentionDays: '0',
    DataRetentionEnableFileDeletion: 'false',
    DataRetentionFileRetentionDays: '0',
    CustomUrlSchemes: '',
    IsDefaultMarketplace: 'true',
    // The apps show shared-channel and connection features only with these on (and the license's, see licenseOf).
    ExperimentalSharedChannels: str(sharing.enableSharedChannels),
    ExperimentalRemoteClusterService: str(remoteClusterServiceEnabled(config)),
    CollapsedThreads: config.collapsedThreads,
    EnableCustomGroups: 'false',
    PostPriority: 'true',
    PostAcknowledgements: 'true',
    AllowPersistentNotifications: 'false',
    AllowPersistentNotificationsForGuests: 'false',
    AllowSyncedDrafts: 'false',
    DelayChannelAutocomplete: 'false',
    FeatureFlagEnableRemoteClusterService: str(flags.enableRemoteClusterService),
    FeatureFlagEnableSharedChannelsDMs: str(flags.enableSharedChannelsDMs),
    FeatureFlagEnableSharedChannelsPlugins: str(flags.enableSharedChannelsPlugins),
    FeatureFlagEnableSharedChannelsMemberSync: str(flags.enableSharedChannelsMemberSync),
    FeatureFlagEnableSyncAllUsersForRemoteCluster: str(flags.enableSyncAllUsersForRemoteCluster),
  };
}

/** What Mattermost tells a client that has not logged in yet: enough to draw the login page. */
export function limitedClientConfigOf(config: AppConfig): Record<string, string> {
  return {
    Version: MATTERMOST_VERSION,
    BuildNumber: BUILD_NUMBER,
    BuildDate: '',
    BuildHash: '',
    BuildHashEnterprise: 'none',
    BuildEnterpriseReady: 'false',
    ServiceEnvironment: 'production',
    EnableBotAccountCreation: 'false',
    EnableFile: 'false',
    FileLevel: '',
    SiteURL: config.siteUrl.replace(/\/+$/, ''),
    SiteName: config.team.siteName,
    WebsocketURL: '',
    WebsocketPort: '80',
    WebsocketSecurePort: '443',
    EnableUserCreation: 'true',
    EnableOpenServer: str(config.team.enableOpenServer),
    AndroidLatestVersion: '',
    AndroidMinVersion: '',
    IosLatestVersion: '',
    IosMinVersion: '',
    EnableDiagnostics: 'false',
    DiagnosticsEnabled: 'false',
    EnableComplianceExport: 'false',
    EnableSignUpWithEmail: 'true',
    EnableSignInWithEmail: 'true',
    EnableSignInWithUsername: 'true',
    EmailLoginButtonColor: '',
    EmailLoginButtonBorderColor: '',
    EmailLoginButtonTextColor: '',
    EnableSignUpWithGitLab: 'false',
    GitLabButtonColor: '',
    GitLabButtonText: '',
    TermsOfServiceLink: '',
    PrivacyPolicyLink: '',
    AboutLink: '',
    HelpLink: '',
    ReportAProblemLink: '',
    ForgotPasswordLink: '',
    SupportEmail: '',
    EnableAskCommunityLink: 'false',
    DefaultClientLocale: 'en',
    // No custom emoji here: the apps then offer only the system emoji, and `GET /emoji` answers 501 as Mattermost.
    EnableCustomEmoji: 'false',
    AppDownloadLink: '',
    AndroidAppDownloadLink: '',
    IosAppDownloadLink: '',
    HasImageProxy: 'false',
    PluginsEnabled: 'false',
    PasswordMinimumLength: '8',
    PasswordRequireLowercase: 'false',
    PasswordRequireUppercase: 'false',
    PasswordRequireNumber: 'false',
    PasswordRequireSymbol: 'false',
    EnableCustomBrand: 'false',
    CustomBrandText: '',
    CustomDescriptionText: '',
    EnableLdap: 'false',
    EnableSaml: 'false',
    EnableSignUpWithGoogle: 'false',
    EnableSignUpWithOffice365: 'false',
    EnableSignUpWithOpenId: 'false',
    EnableMultifactorAuthentication: 'false',
    EnforceMultifactorAuthentication: 'false',
    EnableGuestAccounts: 'false',
    GuestAccountsEnforceMultifactorAuthentication: 'false',
  };
}

/**
 * The client license (`GET /license/client?format=old`). The suite has no Mattermost license; it answers a license
 * with exactly the features it implements, because the apps show shared channels and secure connections only when
 * the license has `SharedChannels` / `RemoteClusterService` (Mattermost's `HasSharedChannels`). Everything else a
 * license unlocks is "false", so the apps do not offer enterprise features the suite does not have.
 */
export function licenseOf(config: AppConfig): Record<string, string> {
  const remoteClusterService = remoteClusterServiceEnabled(config);
  const license: Record<string, string> = {
    IsLicensed: 'true',
    SkuShortName: '',
    Users: '0',
    Cloud: 'false',
    IsTrial: 'false',
    IsGovSku: 'false',
    SharedChannels: str(remoteClusterService && config.connectedWorkspaces.enableSharedChannels),
    RemoteClusterService: str(remoteClusterService),
  };
  for (const feature of LICENSE_FEATURES_NOT_HERE) license[feature] = 'false';
  return license;
}

const LICENSE_FEATURES_NOT_HERE = [
  'LDAP',
  'LDAPGroups',
  'MFA',
  'SAML',
  'Cluster',
  'Metrics',
  'GoogleOAuth',
  'Office365OAuth',
  'OpenId',
  'Compliance',
  'MHPNS',
  'Announcement',
  'Elasticsearch',
  'DataRetention',
  'IDLoadedPushNotifications',
  'EmailNotificationContents',
  'MessageExport',
  'CustomPermissionsSchemes',
  'GuestAccounts',
  'GuestAccountsPermissions',
  'CustomTermsOfService',
  'LockTeammateNameDisplay',
  'OutgoingOAuthConnections',
];

/**
 * Mattermost's `X-Version-Id`: `<version>.<build number>.<client config hash>.<licensed>`. The apps reload the
 * client config when it changes, so the hash covers every setting in it.
 */
export function versionIdOf(config: AppConfig): string {
  const hash = createHash('md5')
    .update(JSON.stringify(clientConfigOf(config)))
    .digest('hex');
  return `${MATTERMOST_VERSION}.${BUILD_NUMBER}.${hash}.true`;
}
