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
});
