import { refusedAddress, siteUrlProblem } from './address-policy';

describe('peer address policy', () => {
  it.each(['169.254.169.254', '169.254.1.1', '0.0.0.0', 'fe80::1', 'fd00:ec2::254', '::', '224.0.0.1', '::ffff:169.254.169.254'])(
    'always refuses %s',
    (ip) => {
      expect(refusedAddress(ip, true)).toBeDefined();
      expect(refusedAddress(ip, false)).toBeDefined();
    },
  );

  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '::1', 'fd12::1', '::ffff:10.0.0.1'])(
    'refuses private %s unless allowed',
    (ip) => {
      expect(refusedAddress(ip, false)).toMatch(/private or loopback/);
      expect(refusedAddress(ip, true)).toBeUndefined();
    },
  );

  it.each(['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888'])('allows public %s', (ip) => {
    expect(refusedAddress(ip, false)).toBeUndefined();
  });

  it('checks site URLs, including IP-literal hosts', () => {
    expect(siteUrlProblem('https://chat.example.com', false)).toBeUndefined();
    expect(siteUrlProblem('http://chat.example.com:8065/sub', false)).toBeUndefined();
    expect(siteUrlProblem('ftp://x', false)).toMatch(/http/);
    expect(siteUrlProblem('https://user:pw@x.com', false)).toMatch(/credentials/);
    expect(siteUrlProblem('http://metadata.google.internal/', true)).toMatch(/metadata/);
    expect(siteUrlProblem('pending_abc', false)).toMatch(/valid URL/);
    expect(siteUrlProblem('http://169.254.169.254/latest', true)).toMatch(/link-local/);
    expect(siteUrlProblem('http://[fe80::1]:8065', true)).toMatch(/link-local/);
    expect(siteUrlProblem('http://127.0.0.1:8065', false)).toMatch(/private or loopback/);
    expect(siteUrlProblem('http://127.0.0.1:8065', true)).toBeUndefined();
  });
});
