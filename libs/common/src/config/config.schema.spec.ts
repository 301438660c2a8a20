import { ConfigError, DEFAULT_PORTS, loadConfig, remoteClusterServiceEnabled } from './config.schema';

describe('loadConfig', () => {
  it('gives the embedded mode working defaults with nothing set', () => {
    const config = loadConfig('embedded', {});
    expect(config.port).toBe(8065);
    expect(config.siteUrl).toBe('http://localhost:8065');
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.natsUrl).toBeUndefined();
    expect(config.connectedWorkspaces.enableSharedChannels).toBe(true);
    expect(remoteClusterServiceEnabled(config)).toBe(true);
    expect(config.connectedWorkspaces.maxPostsPerSync).toBe(50);
    expect(config.files.maxFileSize).toBe(100 * 1024 * 1024);
    expect(config.featureFlags.enableSharedChannelsMemberSync).toBe(false);
  });

  it('derives SITE_URL from PORT and strips a trailing slash from an explicit one', () => {
    expect(loadConfig('embedded', { PORT: '9000' }).siteUrl).toBe('http://localhost:9000');
    expect(loadConfig('embedded', { SITE_URL: 'https://chat.example.com/' }).siteUrl).toBe('https://chat.example.com');
  });

  it('reads Mattermost-named settings and feature flags', () => {
    const config = loadConfig('embedded', {
      MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE: 'false',
      MM_CONNECTEDWORKSPACESSETTINGS_MAXPOSTSPERSYNC: '20',
      MM_FEATUREFLAGS_ENABLESHAREDCHANNELSMEMBERSYNC: 'true',
    });
    expect(remoteClusterServiceEnabled(config)).toBe(false);
    expect(config.connectedWorkspaces.maxPostsPerSync).toBe(20);
    expect(config.featureFlags.enableSharedChannelsMemberSync).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ SITE_URL: 'not a url' }, 'SITE_URL'],
    [{ SITE_URL: 'ftp://example.com' }, 'SITE_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ NATS_URL: 'http://x' }, 'NATS_URL'],
    [{ MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS: 'maybe' }, 'MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS'],
    [{ MM_CONNECTEDWORKSPACESSETTINGS_GLOBALUSERSYNCBATCHSIZE: '500' }, 'MM_CONNECTEDWORKSPACESSETTINGS_GLOBALUSERSYNCBATCHSIZE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('refuses %p naming %s', (env, setting) => {
    expect(() => loadConfig('embedded', env)).toThrow(ConfigError);
    expect(() => loadConfig('embedded', env)).toThrow(new RegExp(`${setting}:`));
  });

  it('reads the deprecated ExperimentalSettings names only when the new ones are unset, and records them', () => {
    const old = loadConfig('embedded', {
      MM_EXPERIMENTALSETTINGS_ENABLESHAREDCHANNELS: 'false',
      MM_EXPERIMENTALSETTINGS_ENABLEREMOTECLUSTERSERVICE: 'false',
    });
    expect(old.connectedWorkspaces.enableSharedChannels).toBe(false);
    expect(remoteClusterServiceEnabled(old)).toBe(false);
    expect(old.deprecatedSettings).toEqual([
      { name: 'MM_EXPERIMENTALSETTINGS_ENABLESHAREDCHANNELS', replacement: 'MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS' },
      {
        name: 'MM_EXPERIMENTALSETTINGS_ENABLEREMOTECLUSTERSERVICE',
        replacement: 'MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE',
      },
    ]);
    const both = loadConfig('embedded', {
      MM_EXPERIMENTALSETTINGS_ENABLESHAREDCHANNELS: 'false',
      MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS: 'true',
    });
    expect(both.connectedWorkspaces.enableSharedChannels).toBe(true);
    expect(both.deprecatedSettings).toBeUndefined();
    expect(loadConfig('embedded', {}).deprecatedSettings).toBeUndefined();
    expect(() => loadConfig('embedded', { MM_EXPERIMENTALSETTINGS_ENABLESHAREDCHANNELS: 'maybe' })).toThrow(
      /MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS/,
    );
  });

  it('names every bad setting at once', () => {
    try {
      loadConfig('embedded', { PORT: 'x', LOG_LEVEL: 'y' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as Error).message).toMatch(/PORT:/);
      expect((err as Error).message).toMatch(/LOG_LEVEL:/);
    }
  });

  it('requires DATABASE_URL and NATS_URL for an app running on its own', () => {
    expect(() => loadConfig('gateway', { NATS_URL: 'nats://127.0.0.1:4222' })).toThrow(/DATABASE_URL: required/);
    expect(() => loadConfig('user-sync', { DATABASE_URL: 'postgres://h/db' })).toThrow(/NATS_URL: required/);
    const config = loadConfig('user-sync', { DATABASE_URL: 'postgres://h/db', NATS_URL: 'nats://127.0.0.1:4222' });
    expect(config.port).toBe(DEFAULT_PORTS['user-sync']);
  });

  it('reports every bad or missing setting of a run at once, not one per run', () => {
    let message = '';
    try {
      loadConfig('gateway', {
        PORT: 'x',
        LOG_LEVEL: 'loud',
        NATS_CONNECT_TIMEOUT_MS: 'soon',
        MM_FILESETTINGS_DRIVERNAME: 'amazons3',
      });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    for (const setting of ['PORT', 'LOG_LEVEL', 'NATS_CONNECT_TIMEOUT_MS', 'DATABASE_URL', 'NATS_URL', 'MM_FILESETTINGS_AMAZONS3BUCKET']) {
      expect(message).toMatch(new RegExp(`^  ${setting}: `, 'm'));
    }
  });

  it('names a malformed DATABASE_URL once, not also as missing', () => {
    expect(() => loadConfig('gateway', { DATABASE_URL: 'mysql://x', NATS_URL: 'nats://h' })).toThrow(
      /^Invalid configuration:\n {2}DATABASE_URL: expected a postgres: or postgresql: URL$/,
    );
  });

  it('binds to every interface unless HOST is set', () => {
    expect(loadConfig('embedded', {}).host).toBeUndefined();
    expect(loadConfig('embedded', { HOST: ' 127.0.0.1 ' }).host).toBe('127.0.0.1');
  });

  it('gives up connecting to NATS after NATS_CONNECT_TIMEOUT_MS (default one minute)', () => {
    expect(loadConfig('embedded', {}).bus.connectTimeoutMs).toBe(60_000);
    expect(loadConfig('embedded', { NATS_CONNECT_TIMEOUT_MS: '2000' }).bus.connectTimeoutMs).toBe(2000);
  });

  it('trusts X-Forwarded-For from loopback only unless TRUST_PROXY says otherwise', () => {
    expect(loadConfig('embedded', {}).trustProxy).toEqual(['loopback']);
    expect(loadConfig('embedded', { TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig('embedded', { TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig('embedded', { TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig('embedded', { TRUST_PROXY: '10.0.0.0/8, loopback, fd00::/8, 192.0.2.7' }).trustProxy).toEqual([
      '10.0.0.0/8',
      'loopback',
      'fd00::/8',
      '192.0.2.7',
    ]);
    for (const bad of ['10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/8', 'fd00::/129']) {
      expect(() => loadConfig('embedded', { TRUST_PROXY: bad })).toThrow(/TRUST_PROXY:/);
    }
  });

  it('limits rates by default with room for normal clients, and reads the Mattermost rate limit settings', () => {
    const defaults = loadConfig('embedded', {});
    expect(defaults.rateLimit).toEqual({
      enable: true,
      perSecond: 20,
      maxBurst: 200,
      memoryStoreSize: 10_000,
      varyByRemoteAddr: true,
      varyByUser: true,
      varyByHeader: '',
      login: { perSecond: 1, maxBurst: 20 },
      peer: { perSecond: 50, maxBurst: 500 },
    });
    expect(defaults.service.maximumLoginAttempts).toBe(10);
    expect(defaults.service.loginLockoutDurationMs).toBe(900_000);
    expect(defaults.websocket.pingIntervalMs).toBe(30_000);
    const set = loadConfig('embedded', {
      MM_RATELIMITSETTINGS_ENABLE: 'false',
      MM_RATELIMITSETTINGS_PERSEC: '5',
      MM_RATELIMITSETTINGS_MAXBURST: '0',
      MM_RATELIMITSETTINGS_VARYBYUSER: 'false',
      MM_RATELIMITSETTINGS_VARYBYHEADER: 'X-Real-IP',
      RATE_LIMIT_LOGIN_PER_MINUTE: '30',
      MM_SERVICESETTINGS_MAXIMUMLOGINATTEMPTS: '3',
    });
    expect(set.rateLimit).toMatchObject({ enable: false, perSecond: 5, maxBurst: 0, varyByUser: false, varyByHeader: 'X-Real-IP' });
    expect(set.rateLimit.login.perSecond).toBe(0.5);
    expect(set.service.maximumLoginAttempts).toBe(3);
    expect(() => loadConfig('embedded', { MM_SERVICESETTINGS_MAXIMUMLOGINATTEMPTS: '0' })).toThrow(/MAXIMUMLOGINATTEMPTS:/);
    expect(() => loadConfig('embedded', { MM_RATELIMITSETTINGS_PERSEC: '0' })).toThrow(/PERSEC:/);
  });

  describe('NATS credentials', () => {
    const distributed = { DATABASE_URL: 'postgres://u:p@db/fedchat', NATS_URL: 'nats://nats:4222' };

    it('are absent unless set', () => {
      expect(loadConfig('gateway', distributed).natsAuth).toBeUndefined();
    });

    it('reads NATS_USER and NATS_PASSWORD', () => {
      const config = loadConfig('gateway', { ...distributed, NATS_USER: 'fedchat', NATS_PASSWORD: ' s3cret ' });
      // A password is taken as given: spaces may be part of it.
      expect(config.natsAuth).toEqual({ user: 'fedchat', password: ' s3cret ' });
    });

    it.each([
      ['only a user', { NATS_USER: 'fedchat' }],
      ['only a password', { NATS_PASSWORD: 'n4ts-s3cret' }],
    ])('refuse %s, naming both settings without echoing the password', (_title, env) => {
      expect(() => loadConfig('gateway', { ...distributed, ...env })).toThrow(/NATS_USER, NATS_PASSWORD: set both/);
      try {
        loadConfig('gateway', { ...distributed, ...env });
      } catch (err) {
        expect(String(err)).not.toContain('n4ts-s3cret');
      }
    });
  });

  describe('Amazon S3 file settings', () => {
    const s3 = { MM_FILESETTINGS_DRIVERNAME: 'amazons3', MM_FILESETTINGS_AMAZONS3BUCKET: 'chat-files' };

    it("are only read for the amazons3 driver, with Mattermost's defaults", () => {
      expect(loadConfig('embedded', { MM_FILESETTINGS_AMAZONS3BUCKET: 'chat-files' }).files.amazonS3).toBeUndefined();
      expect(loadConfig('embedded', s3).files.amazonS3).toEqual({
        bucket: 'chat-files',
        accessKeyId: undefined,
        secretAccessKey: undefined,
        endpoint: 's3.amazonaws.com',
        ssl: true,
        region: 'us-east-1',
        pathPrefix: undefined,
      });
    });

    it('reads a MinIO-style endpoint, credentials and a path prefix', () => {
      const config = loadConfig('embedded', {
        ...s3,
        MM_FILESETTINGS_AMAZONS3ENDPOINT: 'minio.internal:9000',
        MM_FILESETTINGS_AMAZONS3SSL: 'false',
        MM_FILESETTINGS_AMAZONS3REGION: 'eu-west-1',
        MM_FILESETTINGS_AMAZONS3ACCESSKEYID: 'AKID',
        MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY: 'secret',
        MM_FILESETTINGS_AMAZONS3PATHPREFIX: '/fedchat/prod/',
      });
      expect(config.files.amazonS3).toMatchObject({
        endpoint: 'minio.internal:9000',
        ssl: false,
        region: 'eu-west-1',
        accessKeyId: 'AKID',
        secretAccessKey: 'secret',
        pathPrefix: 'fedchat/prod',
      });
    });

    it.each([
      [{}, /MM_FILESETTINGS_AMAZONS3BUCKET: required when MM_FILESETTINGS_DRIVERNAME is amazons3/],
      [{ ...s3, MM_FILESETTINGS_AMAZONS3ENDPOINT: 'https://minio:9000' }, /MM_FILESETTINGS_AMAZONS3ENDPOINT: expected host or host:port/],
      [{ ...s3, MM_FILESETTINGS_AMAZONS3ENDPOINT: 'minio:9000/path' }, /MM_FILESETTINGS_AMAZONS3ENDPOINT:/],
      [{ ...s3, MM_FILESETTINGS_AMAZONS3PATHPREFIX: 'a/../b' }, /MM_FILESETTINGS_AMAZONS3PATHPREFIX:/],
      [{ ...s3, MM_FILESETTINGS_AMAZONS3SSL: 'maybe' }, /MM_FILESETTINGS_AMAZONS3SSL:/],
      [{ ...s3, MM_FILESETTINGS_AMAZONS3ACCESSKEYID: 'AKID' }, /MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY: set both/],
    ])('refuses %p', (env, message) => {
      expect(() => loadConfig('embedded', { MM_FILESETTINGS_DRIVERNAME: 'amazons3', ...env })).toThrow(ConfigError);
      expect(() => loadConfig('embedded', { MM_FILESETTINGS_DRIVERNAME: 'amazons3', ...env })).toThrow(message);
    });

    it('never puts the secret key in an error', () => {
      const env = { MM_FILESETTINGS_DRIVERNAME: 'amazons3', MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY: 'sup3r-s3cret' };
      expect(() => loadConfig('embedded', env)).toThrow(/MM_FILESETTINGS_AMAZONS3BUCKET/);
      expect(() => loadConfig('embedded', env)).not.toThrow(/sup3r-s3cret/);
    });
  });
});

describe('REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES', () => {
  it('defaults to auto and takes auto, true or false', () => {
    expect(loadConfig('embedded', {}).remoteCluster.allowPrivateAddresses).toBe('auto');
    expect(loadConfig('embedded', { REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'AUTO' }).remoteCluster.allowPrivateAddresses).toBe('auto');
    expect(loadConfig('embedded', { REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true' }).remoteCluster.allowPrivateAddresses).toBe(true);
    expect(loadConfig('embedded', { REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'false' }).remoteCluster.allowPrivateAddresses).toBe(false);
    expect(() => loadConfig('embedded', { REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'sometimes' })).toThrow(
      /REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: expected auto, true or false/,
    );
  });

  it('reads the retry backoff bases', () => {
    const config = loadConfig('embedded', { SHARED_CHANNELS_RETRY_BASE_MS: '250', FILE_TRANSFER_RETRY_BASE_MS: '2000' });
    expect(config.sharedChannels.retryBaseMs).toBe(250);
    expect(config.fileTransfer.retryBaseMs).toBe(2000);
  });
});
