import { classifyAddress, PeerAddressPolicy, PrivateAddressesSetting, Resolver, siteUrlScope } from './address-policy';

const LOOPBACK_SITE = 'http://localhost:8065';
const LOOPBACK_IP_SITE = 'http://127.0.0.1:8065';
const PRIVATE_SITE = 'http://10.0.0.5:8065';
const INTERNAL_NAME_SITE = 'http://chat-a.internal:8065';
const PUBLIC_SITE = 'https://chat.example.com';
const PUBLIC_IP_SITE = 'http://203.0.113.10';

/** Every class of address, as IPv4, IPv6 and IPv4 inside IPv6. */
const FORBIDDEN = [
  '0.0.0.0',
  '169.254.169.254',
  '169.254.1.1',
  '100.100.100.200',
  '168.63.129.16',
  '224.0.0.1',
  '255.255.255.255',
  '::',
  'fe80::1',
  'fe80::1%eth0',
  'fd00:ec2::254',
  'ff02::1',
  '::ffff:169.254.169.254',
  '::ffff:a9fe:a9fe',
  '64:ff9b::169.254.169.254',
  '::169.254.169.254',
  '::ffff:100.100.100.200',
];
const PRIVATE = [
  '127.0.0.1',
  '127.1.2.3',
  '10.1.2.3',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '100.64.0.1',
  '::1',
  'fd12::1',
  'fc00::1',
  '::ffff:10.0.0.1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '64:ff9b::10.0.0.1',
];
const PUBLIC = ['8.8.8.8', '172.32.0.1', '100.128.0.1', '203.0.113.10', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8'];

describe('classifyAddress', () => {
  it.each(FORBIDDEN)('%s is always refused', (ip) => expect(classifyAddress(ip)?.kind).toBe('forbidden'));
  it.each(PRIVATE)('%s is private or loopback', (ip) => expect(classifyAddress(ip)?.kind).toBe('private'));
  it.each(PUBLIC)('%s is public', (ip) => expect(classifyAddress(ip)?.kind).toBe('public'));
  it.each(['localhost', 'example.com', '1.2.3', '::ffff:1.2.3.4.5', ''])('%s is not an IP address', (text) =>
    expect(classifyAddress(text)).toBeUndefined(),
  );
});

describe('siteUrlScope (what auto decides from)', () => {
  it.each([
    [LOOPBACK_SITE, 'loopback'],
    ['http://app.localhost:8065', 'loopback'],
    [LOOPBACK_IP_SITE, 'loopback'],
    ['http://[::1]:8065', 'loopback'],
    [PRIVATE_SITE, 'private'],
    ['http://192.168.1.20', 'private'],
    ['http://[fd12::5]', 'private'],
    [INTERNAL_NAME_SITE, 'private'],
    ['http://chat:8065', 'private'],
    ['http://chat.home.arpa', 'private'],
    [PUBLIC_SITE, 'public'],
    [PUBLIC_IP_SITE, 'public'],
    ['http://[2001:db8::1]', 'public'],
    ['not a url', 'public'],
  ])('%s is %s', (site, scope) => expect(siteUrlScope(site).scope).toBe(scope));
});

/** The rule: setting × own site URL × peer address class. */
describe('PeerAddressPolicy.refusal', () => {
  const SITES: Record<string, string[]> = {
    loopback: [LOOPBACK_SITE, LOOPBACK_IP_SITE],
    private: [PRIVATE_SITE, INTERNAL_NAME_SITE],
    public: [PUBLIC_SITE, PUBLIC_IP_SITE],
  };
  const expectations: [PrivateAddressesSetting, keyof typeof SITES, boolean][] = [
    ['auto', 'loopback', true],
    ['auto', 'private', true],
    ['auto', 'public', false],
    [true, 'loopback', true],
    [true, 'private', true],
    [true, 'public', true],
    [false, 'loopback', false],
    [false, 'private', false],
    [false, 'public', false],
  ];
  for (const [setting, scope, allowsPrivate] of expectations) {
    describe(`setting ${String(setting)}, SITE_URL ${scope}`, () => {
      for (const site of SITES[scope]) {
        const policy = new PeerAddressPolicy(setting, site);
        it(`${allowsPrivate ? 'allows' : 'refuses'} private and loopback peers (${site})`, () => {
          expect(policy.allowsPrivate).toBe(allowsPrivate);
          for (const ip of PRIVATE) {
            if (allowsPrivate) expect(policy.refusal(ip)).toBeUndefined();
            else expect(policy.refusal(ip)).toContain(`peer address ${ip} is refused`);
          }
        });
        it(`always refuses link-local and metadata addresses (${site})`, () => {
          for (const ip of FORBIDDEN)
            expect(policy.refusal(ip)).toMatch(/always refused whatever REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES says/);
        });
        it(`allows public addresses (${site})`, () => {
          for (const ip of PUBLIC) expect(policy.refusal(ip)).toBeUndefined();
        });
      }
    });
  }

  it('names the address, the rule and the setting in every refusal', () => {
    expect(new PeerAddressPolicy('auto', PUBLIC_SITE).refusal('127.0.0.1', 'localhost')).toBe(
      'peer address 127.0.0.1 (of localhost) is refused: it is a loopback address (127.0.0.0/8), and ' +
        "REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=auto allows private and loopback peers only while this server's SITE_URL is " +
        'itself loopback or private, but SITE_URL https://chat.example.com is public (chat.example.com is a public DNS name); ' +
        'set REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=true to allow them',
    );
    expect(new PeerAddressPolicy(false, LOOPBACK_SITE).refusal('10.1.2.3')).toBe(
      'peer address 10.1.2.3 is refused: it is a private address (10.0.0.0/8, RFC 1918), and ' +
        'REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=false refuses private and loopback peers (set it to true or auto to allow them)',
    );
    expect(new PeerAddressPolicy(true, LOOPBACK_SITE).refusal('::ffff:169.254.169.254')).toBe(
      'peer address ::ffff:169.254.169.254 is refused: it is a link-local address (169.254.0.0/16, home of cloud metadata ' +
        'services), which is always refused whatever REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES says',
    );
  });

  it('says how auto came out', () => {
    expect(new PeerAddressPolicy('auto', LOOPBACK_SITE).describe()).toMatch(
      /=auto: private and loopback peers are allowed because SITE_URL/,
    );
    expect(new PeerAddressPolicy('auto', PUBLIC_SITE).describe()).toMatch(/=auto: private and loopback peers are refused because SITE_URL/);
    expect(new PeerAddressPolicy(false, LOOPBACK_SITE).describe()).toMatch(/=false: private and loopback peers are refused/);
  });
});

describe('PeerAddressPolicy site URLs', () => {
  const open = new PeerAddressPolicy(true, LOOPBACK_SITE);
  const publicAuto = new PeerAddressPolicy('auto', PUBLIC_SITE);

  it('refuses malformed URLs, other schemes, credentials and metadata hosts', () => {
    expect(open.siteUrlProblem('https://chat.example.com')).toBeUndefined();
    expect(open.siteUrlProblem('http://chat.example.com:8065/sub')).toBeUndefined();
    expect(open.siteUrlProblem('ftp://x')).toMatch(/only http and https/);
    expect(open.siteUrlProblem('https://user:pw@x.com')).toMatch(/credentials/);
    expect(open.siteUrlProblem('http://metadata.google.internal/')).toMatch(/metadata host, always refused/);
    expect(open.siteUrlProblem('pending_abc')).toMatch(/not a valid URL/);
  });

  it('judges IP-literal hosts without resolving them', () => {
    expect(open.siteUrlProblem('http://169.254.169.254/latest')).toMatch(/peer address 169.254.169.254 is refused: it is a link-local/);
    expect(open.siteUrlProblem('http://[fe80::1]:8065')).toMatch(/link-local/);
    expect(open.siteUrlProblem('http://[::ffff:169.254.169.254]')).toMatch(/link-local/);
    expect(open.siteUrlProblem('http://127.0.0.1:8065')).toBeUndefined();
    expect(publicAuto.siteUrlProblem('http://127.0.0.1:8065')).toMatch(/peer address 127.0.0.1 is refused.*=auto/);
    expect(publicAuto.siteUrlProblem('http://[::1]:8065')).toMatch(/peer address ::1 is refused: it is the loopback address/);
  });

  it('resolves names and judges every address they resolve to', async () => {
    const dnsTable: Record<string, string[]> = {
      'peer.example.com': ['198.51.100.7'],
      'inside.example.com': ['198.51.100.7', '10.0.0.9'],
      'rebound.example.com': ['169.254.169.254'],
      'v6.example.com': ['::ffff:127.0.0.1'],
    };
    const resolve: Resolver = async (host) => {
      if (!dnsTable[host]) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
      return dnsTable[host];
    };
    expect(await publicAuto.checkSiteUrl('https://peer.example.com', resolve)).toBeUndefined();
    expect(await publicAuto.checkSiteUrl('https://inside.example.com', resolve)).toMatch(
      /^peer address 10\.0\.0\.9 \(of inside\.example\.com\) is refused: it is a private address.*=auto/,
    );
    expect(await open.checkSiteUrl('https://inside.example.com', resolve)).toBeUndefined();
    expect(await open.checkSiteUrl('https://rebound.example.com', resolve)).toMatch(
      /169\.254\.169\.254 \(of rebound\.example\.com\).*always refused/,
    );
    expect(await publicAuto.checkSiteUrl('https://v6.example.com', resolve)).toMatch(/::ffff:127\.0\.0\.1 .*loopback/);
    expect(await open.checkSiteUrl('https://nowhere.example.com', resolve)).toMatch(/host nowhere.example.com does not resolve/);
    // An IP literal needs no resolver.
    expect(await publicAuto.checkSiteUrl('http://10.0.0.1', () => Promise.reject(new Error('not called')))).toMatch(/10\.0\.0\.1/);
  });
});
