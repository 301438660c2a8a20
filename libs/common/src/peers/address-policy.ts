import { BlockList, isIP } from 'node:net';

/**
 * Which peer addresses outbound requests may reach (server-side request forgery guard). Checked on every resolved
 * address at connect time, so a DNS name cannot be re-pointed past it.
 *
 * - always refused: unspecified, link-local (incl. the 169.254.169.254 cloud metadata service), multicast,
 *   broadcast, reserved, and the IPv6 metadata address fd00:ec2::254;
 * - refused unless REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=true: loopback, RFC 1918 private ranges, CGNAT, IPv6
 *   unique-local;
 * - everything else (public addresses) allowed.
 */
const ALWAYS_REFUSED = new BlockList();
ALWAYS_REFUSED.addSubnet('0.0.0.0', 8, 'ipv4');
ALWAYS_REFUSED.addSubnet('169.254.0.0', 16, 'ipv4');
ALWAYS_REFUSED.addSubnet('224.0.0.0', 4, 'ipv4');
ALWAYS_REFUSED.addSubnet('240.0.0.0', 4, 'ipv4');
ALWAYS_REFUSED.addAddress('::', 'ipv6');
ALWAYS_REFUSED.addSubnet('fe80::', 10, 'ipv6');
ALWAYS_REFUSED.addSubnet('ff00::', 8, 'ipv6');
ALWAYS_REFUSED.addAddress('fd00:ec2::254', 'ipv6');

const PRIVATE = new BlockList();
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

/** Returns why an address is refused, or undefined when it may be reached. */
export function refusedAddress(address: string, allowPrivate: boolean): string | undefined {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  let type: 'ipv4' | 'ipv6' = family === 4 ? 'ipv4' : 'ipv6';
  let ip = address;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) {
    ip = mapped[1];
    type = 'ipv4';
  }
  if (ALWAYS_REFUSED.check(ip, type)) return `${address} is a link-local, metadata or reserved address`;
  if (!allowPrivate && PRIVATE.check(ip, type))
    return `${address} is a private or loopback address (set REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES=true to allow)`;
  return undefined;
}

/**
 * A peer site URL must be absolute http(s) without credentials, and an IP-literal host must pass the address
 * policy (names are checked when they resolve); returns the problem or undefined.
 */
export function siteUrlProblem(siteUrl: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(siteUrl);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https site URLs are allowed';
  if (url.username || url.password) return 'site URLs must not carry credentials';
  if (url.hostname.toLowerCase() === 'metadata.google.internal') return 'cloud metadata host';
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(literal) ? refusedAddress(literal, allowPrivate) : undefined;
}
