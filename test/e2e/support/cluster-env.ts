import { QUICK_FEDERATION_ENV } from '@fedchat/testing';

/** How long content may take to cross between clusters (generous: the suite runs on small machines). */
export const SYNC_MS = 45_000;

/** Mattermost's feature flags for federation (off by default, as in Mattermost), by what they turn on. */
const FEATURE_FLAGS = {
  memberSync: 'MM_FEATUREFLAGS_ENABLESHAREDCHANNELSMEMBERSYNC',
  syncAllUsers: 'MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER',
  directMessages: 'MM_FEATUREFLAGS_ENABLESHAREDCHANNELSDMS',
} as const;

export type FeatureFlag = keyof typeof FEATURE_FLAGS;

/**
 * The environment of each cluster of a federation test: QUICK_FEDERATION_ENV (quick pings, polls and retries,
 * loopback peers allowed), the feature flags the spec needs, then the spec's own settings.
 */
export function clusterEnv(flags: FeatureFlag[] = [], settings: Record<string, string> = {}): Record<string, string> {
  return { ...QUICK_FEDERATION_ENV, ...Object.fromEntries(flags.map((flag) => [FEATURE_FLAGS[flag], 'true'])), ...settings };
}
