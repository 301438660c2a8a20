import { isIP } from 'node:net';
import * as path from 'node:path';
import { z } from 'zod';
import type { SuiteAppName } from '@fedchat/contracts';
import { pathSegments } from '../files/file-store';

/**
 * Every setting the suite reads, with the environment variable that sets it.
 * Infrastructure settings use short names (PORT, DATABASE_URL, ...); product settings use Mattermost's
 * `MM_<SECTION>_<SETTING>` names so that operators who know Mattermost find them where they expect.
 */

/** The words a boolean setting accepts (trimmed, any case); undefined for anything else. */
function boolWord(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return undefined;
}

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const b = boolWord(v);
      if (b !== undefined) return b;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected true or false, got "${v}"` });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected an integer from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a valid URL` });
        return z.NEVER;
      }
      if (!protocols.includes(url.protocol)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a ${protocols.join(' or ')} URL` });
        return z.NEVER;
      }
      return v.trim();
    });

/** A string setting; empty or blank counts as unset. */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Mattermost's form of the S3 endpoint: a host, optionally with a port; the scheme comes from the SSL setting. */
const s3Endpoint = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return 's3.amazonaws.com';
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(v.trim())) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected host or host:port without a scheme, got "${v}"` });
      return z.NEVER;
    }
    return v.trim();
  });

/** A key prefix such as `fedchat` or `a/b`; surrounding slashes are dropped. */
const s3PathPrefix = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const prefix = (v ?? '').trim().replace(/^\/+|\/+$/g, '');
    if (prefix === '') return undefined;
    try {
      pathSegments(prefix);
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected /-separated names without empty, "." or ".." parts, got "${v}"` });
      return z.NEVER;
    }
    return prefix;
  });

/** `auto`, or a boolean like `bool`. */
const autoOrBool = z
  .string()
  .optional()
  .transform((v, ctx): 'auto' | boolean => {
    if (v === undefined || v.trim() === '' || v.trim().toLowerCase() === 'auto') return 'auto';
    const b = boolWord(v);
    if (b !== undefined) return b;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected auto, true or false, got "${v}"` });
    return z.NEVER;
  });

/**
 * Express's `trust proxy`: which hops may set `X-Forwarded-For` (and so the client IP that per-IP rate limits key on).
 * `false`, `true` (any hop: lets every client choose its IP), a number of hops, or a comma-separated list of
 * addresses, CIDR ranges and Express's names `loopback`, `linklocal`, `uniquelocal`.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((v, ctx): boolean | number | string[] => {
    const s = (v ?? '').trim().toLowerCase();
    if (s === '') return ['loopback'];
    // A hop count before the boolean words, so that `1` is one hop, not `true` (any hop).
    if (/^[1-9]\d{0,2}$/.test(s)) return Number(s);
    const b = boolWord(s);
    if (b !== undefined) return b;
    const entries = s.split(',').map((e) => e.trim());
    const bad = entries.filter((e) => !isProxyAddress(e));
    if (bad.length > 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `expected true, false, a hop count, or addresses/CIDR ranges/loopback/linklocal/uniquelocal; bad: "${bad.join('", "')}"`,
      });
      return z.NEVER;
    }
    return entries;
  });

function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const envSchema = z.object({
  PORT: z.string().optional(),
  /** Address the HTTP server binds to; unset: every interface. */
  HOST: optionalString,
  SITE_URL: optionalUrl(['http:', 'https:']),
  DATA_DIR: z.string().optional(),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  DB_POOL_SIZE: int(10, 1, 200),
  NATS_URL: optionalUrl(['nats:', 'tls:', 'ws:', 'wss:']),
  /** NATS user and password (nats-server `--user`/`--pass` or an `authorization` block): both or neither. */
  NATS_USER: optionalString,
  NATS_PASSWORD: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v)),
  BUS_REQUEST_TIMEOUT_MS: int(10_000, 100, 300_000),
  /** How long a process tries to reach NATS at start-up before it gives up and exits non-zero. */
  NATS_CONNECT_TIMEOUT_MS: int(60_000, 1000, 3_600_000),
  /** Largest bus message; the in-process bus enforces NATS's default so that what breaks on NATS breaks here too. */
  BUS_MAX_PAYLOAD: int(1024 * 1024, 1024, 64 * 1024 * 1024),
  LOG_LEVEL: z.enum(LOG_LEVELS).optional().default('info'),
  LOG_PRETTY: bool(false),
  MIGRATIONS_RUN: bool(true),
  SHUTDOWN_TIMEOUT_MS: int(25_000, 1000, 600_000),
  EMBEDDED_PG_BIN_DIR: z.string().optional(),

  MM_SERVICESETTINGS_MAXIMUMPAYLOADSIZEBYTES: int(300_000, 1024, 100 * 1024 * 1024),
  /** Failed password checks after which an account is locked (Mattermost: 10). */
  MM_SERVICESETTINGS_MAXIMUMLOGINATTEMPTS: int(10, 1, 1_000_000),
  /** Beyond Mattermost (whose lock lasts until a password reset): a lock also ends this long after it began; 0: never. */
  LOGIN_LOCKOUT_DURATION_MS: int(900_000, 0, 365 * 86_400_000),
  TRUST_PROXY: trustProxy,

  /** On by default, unlike Mattermost: the limits are set so that normal clients never reach them. */
  MM_RATELIMITSETTINGS_ENABLE: bool(true),
  MM_RATELIMITSETTINGS_PERSEC: int(20, 1, 1_000_000),
  MM_RATELIMITSETTINGS_MAXBURST: int(200, 0, 1_000_000),
  MM_RATELIMITSETTINGS_MEMORYSTORESIZE: int(10_000, 100, 10_000_000),
  MM_RATELIMITSETTINGS_VARYBYREMOTEADDR: bool(true),
  /** True by default, unlike Mattermost: users behind one proxy or NAT address do not share one budget. */
  MM_RATELIMITSETTINGS_VARYBYUSER: bool(true),
  MM_RATELIMITSETTINGS_VARYBYHEADER: optionalString,
  /** How often the gateway pings each websocket; one that has not answered the previous ping is dropped. */
  WEBSOCKET_PING_INTERVAL_MS: int(30_000, 100, 3_600_000),
  /** Requests that check a password (login, sign-up, password change), per client address. */
  RATE_LIMIT_LOGIN_PER_MINUTE: int(60, 1, 1_000_000),
  RATE_LIMIT_LOGIN_MAX_BURST: int(20, 0, 1_000_000),
  /** Requests of an authenticated peer cluster to /api/v4/remotecluster/*, per remote. */
  RATE_LIMIT_PEER_PER_SECOND: int(50, 1, 1_000_000),
  RATE_LIMIT_PEER_MAX_BURST: int(500, 0, 1_000_000),
  MM_TEAMSETTINGS_ENABLEOPENSERVER: bool(false),
  /** The name the apps show for this server (client config `SiteName`). */
  MM_TEAMSETTINGS_SITENAME: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'fedchat' : v.trim().slice(0, 30))),
  /** Collapsed reply threads as the apps offer them (client config `CollapsedThreads`). */
  MM_SERVICESETTINGS_COLLAPSEDTHREADS: z.enum(['disabled', 'default_off', 'default_on', 'always_on']).default('default_off'),
  MM_PRIVACYSETTINGS_SHOWEMAILADDRESS: bool(true),
  MM_PRIVACYSETTINGS_SHOWFULLNAME: bool(true),

  MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS: bool(true),
  MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE: bool(true),
  MM_CONNECTEDWORKSPACESSETTINGS_DISABLESHAREDCHANNELSSTATUSSYNC: bool(false),
  MM_CONNECTEDWORKSPACESSETTINGS_MAXPOSTSPERSYNC: int(50, 1, 1000),
  MM_CONNECTEDWORKSPACESSETTINGS_SYNCUSERSONCONNECTIONOPEN: bool(true),
  MM_CONNECTEDWORKSPACESSETTINGS_GLOBALUSERSYNCBATCHSIZE: int(100, 1, 200),
  MM_CONNECTEDWORKSPACESSETTINGS_MEMBERSYNCBATCHSIZE: int(100, 1, 1000),

  REMOTE_CLUSTER_PING_INTERVAL_MS: int(60_000, 200, 3_600_000),
  REMOTE_CLUSTER_OFFLINE_AFTER_MS: int(300_000, 500, 86_400_000),
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: autoOrBool,

  SHARED_CHANNELS_INTERRUPTED_AFTER_MS: int(300_000, 1000, 86_400_000),
  SHARED_CHANNELS_POLL_INTERVAL_MS: int(1000, 50, 60_000),
  SHARED_CHANNELS_CONCURRENCY: int(16, 1, 256),
  SHARED_CHANNELS_RETRY_BASE_MS: int(500, 1, 3_600_000),
  SHARED_CHANNELS_RETRY_MAX_MS: int(30_000, 100, 3_600_000),
  SHARED_CHANNELS_LEASE_MS: int(30_000, 1000, 600_000),
  SHARED_CHANNELS_REFUSED_RETRY_BASE_MS: int(60_000, 1, 86_400_000),
  SHARED_CHANNELS_REFUSED_MAX_ATTEMPTS: int(3, 0, 100),
  /** What a shared channel's copy becomes when its share ends: archived (Mattermost 10.10) or a plain local channel (before). */
  SHARED_CHANNELS_REMOVAL_MODE: z.enum(['archive', 'legacy']).default('archive'),
  /** Beyond Mattermost (which always sends it): a user's real email goes to peers only when set. */
  SHARED_CHANNELS_SYNC_USER_EMAIL: bool(false),

  USER_SYNC_POLL_INTERVAL_MS: int(5_000, 50, 600_000),

  MM_FILESETTINGS_ENABLEFILEATTACHMENTS: bool(true),
  MM_FILESETTINGS_MAXFILESIZE: int(100 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
  MM_FILESETTINGS_DRIVERNAME: z.enum(['local', 'amazons3']).optional().default('local'),
  MM_FILESETTINGS_AMAZONS3BUCKET: optionalString,
  MM_FILESETTINGS_AMAZONS3ACCESSKEYID: optionalString,
  MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY: optionalString,
  MM_FILESETTINGS_AMAZONS3ENDPOINT: s3Endpoint,
  MM_FILESETTINGS_AMAZONS3SSL: bool(true),
  MM_FILESETTINGS_AMAZONS3REGION: optionalString.transform((v) => v ?? 'us-east-1'),
  MM_FILESETTINGS_AMAZONS3PATHPREFIX: s3PathPrefix,
  /** Largest image (width × height) for which thumbnails and previews are made (Mattermost's default: 7680 × 4320). */
  MM_FILESETTINGS_MAXIMAGERESOLUTION: int(33_177_600, 1, 1_000_000_000),
  /** Received files are stored in segments of this size, the unit in which an interrupted transfer resumes. */
  FILE_TRANSFER_SEGMENT_BYTES: int(8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  FILE_TRANSFER_CONCURRENCY: int(4, 1, 64),
  FILE_TRANSFER_POLL_INTERVAL_MS: int(2000, 50, 600_000),
  FILE_TRANSFER_RETRY_BASE_MS: int(1000, 1, 86_400_000),
  FILE_TRANSFER_RETRY_MAX_MS: int(60_000, 100, 86_400_000),
  FILE_TRANSFER_LEASE_MS: int(60_000, 1000, 3_600_000),
  FILE_TRANSFER_IDLE_TIMEOUT_MS: int(60_000, 100, 3_600_000),
  /** Mattermost's 60 s per upload request (protocol §3.2); a file that needs longer goes on in the next request. */
  FILE_TRANSFER_REQUEST_TIMEOUT_MS: int(60_000, 1000, 86_400_000),
  FILE_TRANSFER_UPLOAD_EXPIRY_MS: int(86_400_000, 60_000, 30 * 86_400_000),

  MM_FEATUREFLAGS_ENABLEREMOTECLUSTERSERVICE: bool(true),
  MM_FEATUREFLAGS_ENABLESHAREDCHANNELSDMS: bool(false),
  MM_FEATUREFLAGS_ENABLESHAREDCHANNELSPLUGINS: bool(true),
  MM_FEATUREFLAGS_ENABLESHAREDCHANNELSMEMBERSYNC: bool(false),
  MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER: bool(false),
});

/** One of the five apps, or `embedded`: all five in one process. */
export type AppName = SuiteAppName | 'embedded';

/** Default HTTP port per app, so that the five apps can run side by side on one host without settings. */
export const DEFAULT_PORTS: Record<AppName, number> = {
  gateway: 8065,
  embedded: 8065,
  'remote-cluster': 8066,
  'shared-channel-sync': 8067,
  'file-transfer': 8068,
  'user-sync': 8069,
};

export interface AppConfig {
  appName: AppName;
  /** Deprecated environment names that were read because their replacement was unset (warned about at start). */
  deprecatedSettings?: DeprecatedSetting[];
  /** A unique name for this process, reported in logs and replies (hostname in Kubernetes). */
  instanceId: string;
  port: number;
  /** Bind address of the HTTP server; absent: every interface. */
  host?: string;
  siteUrl: string;
  dataDir: string;
  /** Absent in embedded mode: the process starts its own PostgreSQL under `dataDir`. */
  databaseUrl?: string;
  dbPoolSize: number;
  /** Absent in embedded mode: the in-process bus replaces NATS. */
  natsUrl?: string;
  /** Credentials NATS asks for; absent when the server needs none. */
  natsAuth?: NatsAuth;
  bus: { requestTimeoutMs: number; maxPayload: number; connectTimeoutMs: number };
  log: { level: (typeof LOG_LEVELS)[number]; pretty: boolean };
  migrationsRun: boolean;
  shutdownTimeoutMs: number;
  embeddedPgBinDir?: string;
  service: {
    maximumPayloadSizeBytes: number;
    /** Failed password checks after which the account is locked (no password is checked while locked). */
    maximumLoginAttempts: number;
    /** A lock ends this long after the failure that set it; 0: only a password reset by an admin ends it. */
    loginLockoutDurationMs: number;
  };
  /** Express's `trust proxy`: which hops' `X-Forwarded-For` gives the client address. */
  trustProxy: boolean | number | string[];
  rateLimit: RateLimitSettings;
  /** Protocol-level ping period of client websockets; a socket that misses one answer is terminated. */
  websocket: { pingIntervalMs: number };
  /** Whether anyone may sign up; otherwise only the first user and accounts made by admins. */
  team: { enableOpenServer: boolean; siteName: string };
  /** Mattermost's ServiceSettings.CollapsedThreads, passed to the apps in the client config. */
  collapsedThreads: 'disabled' | 'default_off' | 'default_on' | 'always_on';
  /** What other users' profiles show to non-admins (Mattermost's PrivacySettings). */
  privacy: { showEmailAddress: boolean; showFullName: boolean };
  connectedWorkspaces: {
    enableSharedChannels: boolean;
    enableRemoteClusterService: boolean;
    disableSharedChannelsStatusSync: boolean;
    maxPostsPerSync: number;
    syncUsersOnConnectionOpen: boolean;
    globalUserSyncBatchSize: number;
    memberSyncBatchSize: number;
  };
  files: {
    enableFileAttachments: boolean;
    maxFileSize: number;
    driverName: 'local' | 'amazons3';
    /** Set when driverName is `amazons3`. */
    amazonS3?: AmazonS3Settings;
    /** Pixels (width × height); larger images get no thumbnail or preview. */
    maxImageResolution: number;
    /** Size of the stored segments of a file received from a remote (the unit of resumption). */
    transferSegmentBytes: number;
  };
  remoteCluster: {
    /** Heartbeat period per remote (Mattermost: 60 s). */
    pingIntervalMs: number;
    /** A remote is online while its last successful ping is younger than this (Mattermost: 5 min). */
    offlineAfterMs: number;
    /**
     * Peers on private and loopback addresses: `true` allows, `false` refuses, `auto` allows them when SITE_URL is
     * itself loopback or private (link-local and metadata addresses are always refused). See peerAddressPolicy.
     */
    allowPrivateAddresses: 'auto' | boolean;
  };
  /** Sending attachments and profile pictures to remotes (the file-transfer app). */
  fileTransfer: {
    /** File transfers one replica runs at the same time. */
    concurrency: number;
    /** How often each replica looks for due transfers it was not told about (a lost doorbell, a retry now due). */
    pollIntervalMs: number;
    /** Ceiling of the first retry delay (doubling per failure; full jitter). */
    retryBaseMs: number;
    /** Cap of the retry backoff after a failed transfer (transient failures are retried until they succeed). */
    retryMaxMs: number;
    /** How long a replica holds a transfer without renewing it; a replica that dies loses its transfers after this. */
    leaseMs: number;
    /** A transfer fails when no byte moves for this long (a slow but moving transfer may take any time). */
    idleTimeoutMs: number;
    /** Deadline of one upload request; a larger file continues from the peer's offset in the next request. */
    requestTimeoutMs: number;
    /** An unfinished upload from a remote that has not moved for this long is given up: its segments are deleted. */
    uploadExpiryMs: number;
  };
  sharedChannels: {
    /** After deliveries to a remote have failed this long, affected channels get a notice (and another on recovery). */
    interruptedAfterMs: number;
    /** How often each sync replica looks for pending work it was not told about (a lost doorbell, a retry now due). */
    pollIntervalMs: number;
    /** (channel, remote) pairs one replica syncs at the same time. */
    concurrency: number;
    /** Ceiling of the first retry delay (doubling per failure; full jitter). */
    retryBaseMs: number;
    /** Cap of the retry backoff after failed deliveries. */
    retryMaxMs: number;
    /** How long a replica holds a pair it works on; a replica that dies loses its pairs after this. */
    leaseMs: number;
    /** First delay before a post a remote refused is sent again (doubling per attempt, capped at a day). */
    refusedRetryBaseMs: number;
    /** Automatic re-sends of a refused post before it waits for an admin (state `failed`). */
    refusedMaxAttempts: number;
    /** Whether users sent to peers carry their real email (default: an empty email). */
    syncUserEmail: boolean;
    /**
     * `archive`: a copy of a channel homed elsewhere is archived when its share ends, and our removals ask remotes to
     * archive theirs (Mattermost 10.10). `legacy`: copies stay as ordinary local channels (before 10.10).
     */
    removalMode: 'archive' | 'legacy';
  };
  userSync: {
    /** How often each user-sync replica looks for profile, membership and global user changes no doorbell announced. */
    pollIntervalMs: number;
  };
  featureFlags: {
    enableRemoteClusterService: boolean;
    enableSharedChannelsDMs: boolean;
    enableSharedChannelsPlugins: boolean;
    enableSharedChannelsMemberSync: boolean;
    enableSyncAllUsersForRemoteCluster: boolean;
  };
}

/**
 * Request rate limits (Mattermost's RateLimitSettings plus stricter classes). Each limit is a GCRA bucket: `perSecond`
 * sustained, and `maxBurst` more at once, as in Mattermost (`throttled`).
 */
export interface RateLimitSettings {
  enable: boolean;
  perSecond: number;
  maxBurst: number;
  /** Keys (addresses, users, remotes) remembered at most; the least recently seen are forgotten first. */
  memoryStoreSize: number;
  varyByRemoteAddr: boolean;
  varyByUser: boolean;
  /** A request header whose value is added to the key ('' for none). */
  varyByHeader: string;
  login: { perSecond: number; maxBurst: number };
  peer: { perSecond: number; maxBurst: number };
}

export interface NatsAuth {
  user: string;
  password: string;
}

/** Where the `amazons3` file store keeps files (Mattermost's AmazonS3* file settings). */
export interface AmazonS3Settings {
  bucket: string;
  /** Both set, or both absent to use the AWS default credentials (environment, shared config, IAM role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `host` or `host:port`, as in Mattermost; `s3.amazonaws.com` means AWS at {@link region}. */
  endpoint: string;
  /** https rather than http. */
  ssl: boolean;
  region: string;
  /** Put before every key as `<pathPrefix>/<path>`. */
  pathPrefix?: string;
}

export class ConfigError extends Error {}

export interface DeprecatedSetting {
  name: string;
  replacement: string;
}

/**
 * Mattermost's old names of settings that moved (ExperimentalSettings → ConnectedWorkspacesSettings), read only when
 * the new name is unset, as Mattermost migrates them.
 */
export const DEPRECATED_SETTING_NAMES: ReadonlyArray<DeprecatedSetting> = [
  { name: 'MM_EXPERIMENTALSETTINGS_ENABLESHAREDCHANNELS', replacement: 'MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS' },
  { name: 'MM_EXPERIMENTALSETTINGS_ENABLEREMOTECLUSTERSERVICE', replacement: 'MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE' },
];

function withDeprecatedNames(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; deprecatedSettings: DeprecatedSetting[] } {
  const used = DEPRECATED_SETTING_NAMES.filter(
    ({ name, replacement }) => (env[replacement] ?? '').trim() === '' && (env[name] ?? '').trim() !== '',
  );
  if (used.length === 0) return { env, deprecatedSettings: [] };
  const copy = { ...env };
  for (const { name, replacement } of used) copy[replacement] = env[name];
  return { env: copy, deprecatedSettings: used.map((d) => ({ ...d })) };
}

/** Parses and validates the environment; throws a ConfigError naming every bad setting. */
export function loadConfig(appName: AppName, givenEnv: NodeJS.ProcessEnv = process.env): AppConfig {
  const { env, deprecatedSettings } = withDeprecatedNames(givenEnv);
  const parsed = envSchema.safeParse(env);
  const portResult = parsePort(env.PORT, DEFAULT_PORTS[appName]);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  if (typeof portResult === 'string') problems.push(`PORT: ${portResult}`);
  // Settings that are valid alone but missing in context are reported together with the malformed ones.
  if (appName !== 'embedded') {
    for (const name of ['DATABASE_URL', 'NATS_URL'] as const) {
      const reported = problems.some((p) => p.startsWith(`${name}:`));
      if (!reported && (env[name] ?? '').trim() === '') problems.push(`${name}: required when the ${appName} app runs on its own`);
    }
  }
  if ((env.MM_FILESETTINGS_DRIVERNAME ?? '').trim() === 'amazons3') problems.push(...amazonS3Problems(env));
  if (parsed.success && !parsed.data.NATS_USER !== !parsed.data.NATS_PASSWORD) {
    problems.push('NATS_USER, NATS_PASSWORD: set both, or neither when NATS needs no credentials');
  }
  if (problems.length > 0 || !parsed.success || typeof portResult === 'string') {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const port = portResult;
  const amazonS3 = e.MM_FILESETTINGS_DRIVERNAME === 'amazons3' ? amazonS3Settings(e) : undefined;
  const siteUrl = (e.SITE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  return {
    appName,
    ...(deprecatedSettings.length > 0 ? { deprecatedSettings } : {}),
    instanceId: `${appName}@${env.HOSTNAME ?? 'local'}:${process.pid}`,
    port,
    host: e.HOST,
    siteUrl,
    dataDir: path.resolve(e.DATA_DIR ?? './data'),
    databaseUrl: e.DATABASE_URL,
    dbPoolSize: e.DB_POOL_SIZE,
    natsUrl: e.NATS_URL,
    natsAuth: e.NATS_USER && e.NATS_PASSWORD ? { user: e.NATS_USER, password: e.NATS_PASSWORD } : undefined,
    bus: { requestTimeoutMs: e.BUS_REQUEST_TIMEOUT_MS, maxPayload: e.BUS_MAX_PAYLOAD, connectTimeoutMs: e.NATS_CONNECT_TIMEOUT_MS },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    migrationsRun: e.MIGRATIONS_RUN,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    embeddedPgBinDir: e.EMBEDDED_PG_BIN_DIR,
    service: {
      maximumPayloadSizeBytes: e.MM_SERVICESETTINGS_MAXIMUMPAYLOADSIZEBYTES,
      maximumLoginAttempts: e.MM_SERVICESETTINGS_MAXIMUMLOGINATTEMPTS,
      loginLockoutDurationMs: e.LOGIN_LOCKOUT_DURATION_MS,
    },
    trustProxy: e.TRUST_PROXY,
    websocket: { pingIntervalMs: e.WEBSOCKET_PING_INTERVAL_MS },
    rateLimit: {
      enable: e.MM_RATELIMITSETTINGS_ENABLE,
      perSecond: e.MM_RATELIMITSETTINGS_PERSEC,
      maxBurst: e.MM_RATELIMITSETTINGS_MAXBURST,
      memoryStoreSize: e.MM_RATELIMITSETTINGS_MEMORYSTORESIZE,
      varyByRemoteAddr: e.MM_RATELIMITSETTINGS_VARYBYREMOTEADDR,
      varyByUser: e.MM_RATELIMITSETTINGS_VARYBYUSER,
      varyByHeader: e.MM_RATELIMITSETTINGS_VARYBYHEADER ?? '',
      login: { perSecond: e.RATE_LIMIT_LOGIN_PER_MINUTE / 60, maxBurst: e.RATE_LIMIT_LOGIN_MAX_BURST },
      peer: { perSecond: e.RATE_LIMIT_PEER_PER_SECOND, maxBurst: e.RATE_LIMIT_PEER_MAX_BURST },
    },
    team: { enableOpenServer: e.MM_TEAMSETTINGS_ENABLEOPENSERVER, siteName: e.MM_TEAMSETTINGS_SITENAME },
    collapsedThreads: e.MM_SERVICESETTINGS_COLLAPSEDTHREADS,
    privacy: { showEmailAddress: e.MM_PRIVACYSETTINGS_SHOWEMAILADDRESS, showFullName: e.MM_PRIVACYSETTINGS_SHOWFULLNAME },
    connectedWorkspaces: {
      enableSharedChannels: e.MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS,
      enableRemoteClusterService: e.MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE,
      disableSharedChannelsStatusSync: e.MM_CONNECTEDWORKSPACESSETTINGS_DISABLESHAREDCHANNELSSTATUSSYNC,
      maxPostsPerSync: e.MM_CONNECTEDWORKSPACESSETTINGS_MAXPOSTSPERSYNC,
      syncUsersOnConnectionOpen: e.MM_CONNECTEDWORKSPACESSETTINGS_SYNCUSERSONCONNECTIONOPEN,
      globalUserSyncBatchSize: e.MM_CONNECTEDWORKSPACESSETTINGS_GLOBALUSERSYNCBATCHSIZE,
      memberSyncBatchSize: e.MM_CONNECTEDWORKSPACESSETTINGS_MEMBERSYNCBATCHSIZE,
    },
    files: {
      enableFileAttachments: e.MM_FILESETTINGS_ENABLEFILEATTACHMENTS,
      maxFileSize: e.MM_FILESETTINGS_MAXFILESIZE,
      driverName: e.MM_FILESETTINGS_DRIVERNAME,
      amazonS3,
      maxImageResolution: e.MM_FILESETTINGS_MAXIMAGERESOLUTION,
      transferSegmentBytes: e.FILE_TRANSFER_SEGMENT_BYTES,
    },
    remoteCluster: {
      pingIntervalMs: e.REMOTE_CLUSTER_PING_INTERVAL_MS,
      offlineAfterMs: e.REMOTE_CLUSTER_OFFLINE_AFTER_MS,
      allowPrivateAddresses: e.REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES,
    },
    fileTransfer: {
      concurrency: e.FILE_TRANSFER_CONCURRENCY,
      pollIntervalMs: e.FILE_TRANSFER_POLL_INTERVAL_MS,
      retryBaseMs: e.FILE_TRANSFER_RETRY_BASE_MS,
      retryMaxMs: e.FILE_TRANSFER_RETRY_MAX_MS,
      leaseMs: e.FILE_TRANSFER_LEASE_MS,
      idleTimeoutMs: e.FILE_TRANSFER_IDLE_TIMEOUT_MS,
      requestTimeoutMs: e.FILE_TRANSFER_REQUEST_TIMEOUT_MS,
      uploadExpiryMs: e.FILE_TRANSFER_UPLOAD_EXPIRY_MS,
    },
    sharedChannels: {
      interruptedAfterMs: e.SHARED_CHANNELS_INTERRUPTED_AFTER_MS,
      pollIntervalMs: e.SHARED_CHANNELS_POLL_INTERVAL_MS,
      concurrency: e.SHARED_CHANNELS_CONCURRENCY,
      retryBaseMs: e.SHARED_CHANNELS_RETRY_BASE_MS,
      retryMaxMs: e.SHARED_CHANNELS_RETRY_MAX_MS,
      leaseMs: e.SHARED_CHANNELS_LEASE_MS,
      refusedRetryBaseMs: e.SHARED_CHANNELS_REFUSED_RETRY_BASE_MS,
      refusedMaxAttempts: e.SHARED_CHANNELS_REFUSED_MAX_ATTEMPTS,
      syncUserEmail: e.SHARED_CHANNELS_SYNC_USER_EMAIL,
      removalMode: e.SHARED_CHANNELS_REMOVAL_MODE,
    },
    userSync: { pollIntervalMs: e.USER_SYNC_POLL_INTERVAL_MS },
    featureFlags: {
      enableRemoteClusterService: e.MM_FEATUREFLAGS_ENABLEREMOTECLUSTERSERVICE,
      enableSharedChannelsDMs: e.MM_FEATUREFLAGS_ENABLESHAREDCHANNELSDMS,
      enableSharedChannelsPlugins: e.MM_FEATUREFLAGS_ENABLESHAREDCHANNELSPLUGINS,
      enableSharedChannelsMemberSync: e.MM_FEATUREFLAGS_ENABLESHAREDCHANNELSMEMBERSYNC,
      enableSyncAllUsersForRemoteCluster: e.MM_FEATUREFLAGS_ENABLESYNCALLUSERSFORREMOTECLUSTER,
    },
  };
}

/** What is missing for the `amazons3` driver, read from the raw environment so that it is reported with every other problem. */
function amazonS3Problems(env: NodeJS.ProcessEnv): string[] {
  const isSet = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  if (!isSet('MM_FILESETTINGS_AMAZONS3BUCKET'))
    problems.push('MM_FILESETTINGS_AMAZONS3BUCKET: required when MM_FILESETTINGS_DRIVERNAME is amazons3');
  if (isSet('MM_FILESETTINGS_AMAZONS3ACCESSKEYID') !== isSet('MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY')) {
    problems.push(
      'MM_FILESETTINGS_AMAZONS3ACCESSKEYID, MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY: set both, or neither to use the AWS default credentials',
    );
  }
  return problems;
}

/** The S3 settings of the `amazons3` driver (amazonS3Problems has checked them). */
function amazonS3Settings(e: z.infer<typeof envSchema>): AmazonS3Settings {
  if (!e.MM_FILESETTINGS_AMAZONS3BUCKET)
    throw new ConfigError('MM_FILESETTINGS_AMAZONS3BUCKET: required when MM_FILESETTINGS_DRIVERNAME is amazons3');
  return {
    bucket: e.MM_FILESETTINGS_AMAZONS3BUCKET,
    accessKeyId: e.MM_FILESETTINGS_AMAZONS3ACCESSKEYID,
    secretAccessKey: e.MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY,
    endpoint: e.MM_FILESETTINGS_AMAZONS3ENDPOINT,
    ssl: e.MM_FILESETTINGS_AMAZONS3SSL,
    region: e.MM_FILESETTINGS_AMAZONS3REGION,
    pathPrefix: e.MM_FILESETTINGS_AMAZONS3PATHPREFIX,
  };
}

function parsePort(raw: string | undefined, fallback: number): number | string {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : `expected a port from 1 to 65535, got "${raw}"`;
}

/** Whether the federation endpoints are served; Mattermost answers 501 otherwise. */
export function remoteClusterServiceEnabled(config: AppConfig): boolean {
  return config.connectedWorkspaces.enableRemoteClusterService && config.featureFlags.enableRemoteClusterService;
}

/** Direct and group messages with remote users: flag EnableSharedChannelsDMs, on top of shared channels. */
export function sharedDirectMessagesEnabled(config: AppConfig): boolean {
  return (
    config.featureFlags.enableSharedChannelsDMs && remoteClusterServiceEnabled(config) && config.connectedWorkspaces.enableSharedChannels
  );
}
