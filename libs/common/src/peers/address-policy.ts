import * as dns from 'node:dns';
import { isIP } from 'node:net';
import type { AppConfig } from '../config/config.schema';

/**
 * Which peer addresses outbound requests may reach (server-side request forgery guard). Checked on the site URL of
 * an invitation or confirmation and on every resolved address at connect time, so a DNS name cannot be re-pointed
 * past it.
 *
 * - always refused: unspecified, link-local (incl. the 169.254.169.254 cloud metadata service), other cloud metadata
 *   addresses, multicast, reserved and broadcast;
 * - private and loopback (RFC 1918, CGNAT, IPv6 unique-local, 127/8, ::1): allowed or refused by
 *   REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: `true` allows, `false` refuses, `auto` (default) allows them exactly when
 *   this server's own SITE_URL is loopback or private — a trial on one machine or a suite on an internal network —
 *   and refuses them when SITE_URL is public, where a peer on a private address is someone probing the inside;
 * - everything else (public addresses) allowed.
 * IPv4 inside IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, IPv4-compatible ::a.b.c.d) is judged as that IPv4.
 */
export const PRIVATE_ADDRESSES_SETTING = 'REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES';

/** `auto`, or an explicit allow (true) / refuse (false). */
export type PrivateAddressesSetting = 'auto' | boolean;

export type AddressKind = 'forbidden' | 'private' | 'public';

/** What an IP address is, and the rule that says so (for messages). */
export interface AddressClass {
  kind: AddressKind;
  rule: string;
}

interface Range {
  bytes: number[];
  bits: number;
  kind: Exclude<AddressKind, 'public'>;
  rule: string;
}

const v4 = (cidr: string, kind: Range['kind'], rule: string): Range => {
  const [ip, bits] = cidr.split('/');
  return { bytes: ip.split('.').map(Number), bits: Number(bits ?? 32), kind, rule };
};
const v6 = (cidr: string, kind: Range['kind'], rule: string): Range => {
  const [ip, bits] = cidr.split('/');
  return { bytes: ipv6Bytes(ip)!, bits: Number(bits ?? 128), kind, rule };
};

/** First match wins: the metadata addresses inside CGNAT and unique-local ranges come before those ranges. */
const IPV4_RANGES: Range[] = [
  v4('0.0.0.0/8', 'forbidden', 'an unspecified ("this network") address (0.0.0.0/8)'),
  v4('169.254.0.0/16', 'forbidden', 'a link-local address (169.254.0.0/16, home of cloud metadata services)'),
  v4('100.100.100.200/32', 'forbidden', 'a cloud metadata address (100.100.100.200)'),
  v4('168.63.129.16/32', 'forbidden', 'a cloud platform address (168.63.129.16)'),
  v4('224.0.0.0/4', 'forbidden', 'a multicast address (224.0.0.0/4)'),
  v4('240.0.0.0/4', 'forbidden', 'a reserved or broadcast address (240.0.0.0/4)'),
  v4('127.0.0.0/8', 'private', 'a loopback address (127.0.0.0/8)'),
  v4('10.0.0.0/8', 'private', 'a private address (10.0.0.0/8, RFC 1918)'),
  v4('172.16.0.0/12', 'private', 'a private address (172.16.0.0/12, RFC 1918)'),
  v4('192.168.0.0/16', 'private', 'a private address (192.168.0.0/16, RFC 1918)'),
  v4('100.64.0.0/10', 'private', 'a shared (carrier-grade NAT) address (100.64.0.0/10)'),
];
const IPV6_RANGES: Range[] = [
  v6('::/128', 'forbidden', 'the unspecified address (::)'),
  v6('fe80::/10', 'forbidden', 'a link-local address (fe80::/10)'),
  v6('fd00:ec2::254/128', 'forbidden', 'a cloud metadata address (fd00:ec2::254)'),
  v6('ff00::/8', 'forbidden', 'a multicast address (ff00::/8)'),
  v6('::1/128', 'private', 'the loopback address (::1)'),
  v6('fc00::/7', 'private', 'a unique-local address (fc00::/7)'),
];

/** Host names of cloud metadata services: refused like their addresses. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** The 16 bytes of an IPv6 address (zone id ignored), or undefined. */
function ipv6Bytes(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '');
  const bytesTail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    if (isIP(dotted[1]) !== 4) return undefined;
    bytesTail.push(...dotted[1].split('.').map(Number));
    text = text.slice(0, -dotted[1].length) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (bytesTail.length) bytes.splice(12, 4, ...bytesTail);
  return bytes.length === 16 ? bytes : undefined;
}

function inRange(bytes: number[], range: Range): boolean {
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i] & mask) !== (range.bytes[i] & mask)) return false;
  }
  return true;
}

/** The IPv4 address carried inside an IPv6 one (mapped, NAT64 or IPv4-compatible), if any. */
function embeddedIpv4(bytes: number[]): number[] | undefined {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  const last4 = bytes.slice(12);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return last4;
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return last4;
  // ::a.b.c.d, but not :: and ::1 themselves.
  if (zeros(0, 12) && !zeros(12, 15)) return last4;
  return undefined;
}

/** What an IP address is; undefined when it is not an IP address. */
export function classifyAddress(address: string): AddressClass | undefined {
  const literal = address.replace(/^\[|\]$/g, '');
  const family = isIP(literal.replace(/%.*$/, ''));
  if (family === 0) return undefined;
  let bytes = family === 4 ? literal.split('.').map(Number) : ipv6Bytes(literal);
  if (!bytes) return undefined;
  let ranges = family === 4 ? IPV4_RANGES : IPV6_RANGES;
  if (family === 6) {
    const inner = embeddedIpv4(bytes);
    if (inner) {
      bytes = inner;
      ranges = IPV4_RANGES;
    }
  }
  const range = ranges.find((r) => inRange(bytes, r));
  return range ? { kind: range.kind, rule: range.rule } : { kind: 'public', rule: 'a public address' };
}

/** Names that only mean something inside a network: `localhost`, single labels, special-use and internal suffixes. */
const LOOPBACK_NAME = /(^|\.)localhost\.?$/i;
const INTERNAL_NAME = /\.(local|internal|lan|home\.arpa|intranet|corp|private)\.?$/i;

/** Where this server's SITE_URL points: loopback, private (internal network) or public, and why. */
export function siteUrlScope(siteUrl: string | undefined): { scope: 'loopback' | 'private' | 'public'; why: string } {
  let host: string;
  try {
    host = new URL(siteUrl ?? '').hostname.replace(/^\[|\]$/g, '');
  } catch {
    return { scope: 'public', why: 'it is not a valid URL' };
  }
  if (LOOPBACK_NAME.test(host)) return { scope: 'loopback', why: `${host} is a loopback name` };
  const ip = classifyAddress(host);
  if (ip) {
    if (ip.kind === 'public') return { scope: 'public', why: `${host} is a public address` };
    return { scope: ip.rule.includes('loopback') ? 'loopback' : 'private', why: `${host} is ${ip.rule}` };
  }
  if (!host.includes('.') || INTERNAL_NAME.test(host)) return { scope: 'private', why: `${host} is an internal name` };
  // A public-looking name counts as public even when it resolves to a private address here (split-horizon DNS
  // behind a load balancer): opening the inside to peers must be a decision, not a side effect of DNS.
  return { scope: 'public', why: `${host} is a public DNS name` };
}

/** Resolves a host name to all its addresses (injectable for tests). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await dns.promises.lookup(hostname, { all: true })).map((a) => a.address);

/**
 * The address policy of one server: its REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES setting and its own SITE_URL.
 * Every refusal names the address, the rule that refuses it and the setting that decides.
 */
export class PeerAddressPolicy {
  /** Whether private and loopback peers are allowed, after `auto` is decided. */
  readonly allowsPrivate: boolean;
  private readonly scope: ReturnType<typeof siteUrlScope>;

  constructor(
    readonly setting: PrivateAddressesSetting,
    readonly ownSiteUrl: string | undefined,
  ) {
    this.scope = siteUrlScope(ownSiteUrl);
    this.allowsPrivate = setting === 'auto' ? this.scope.scope !== 'public' : setting;
  }

  /** How `auto` or the explicit value came out, in one sentence (logged at start). */
  describe(): string {
    if (this.setting !== 'auto') {
      return `${PRIVATE_ADDRESSES_SETTING}=${this.setting}: private and loopback peers are ${this.setting ? 'allowed' : 'refused'}`;
    }
    return (
      `${PRIVATE_ADDRESSES_SETTING}=auto: private and loopback peers are ${this.allowsPrivate ? 'allowed' : 'refused'} ` +
      `because SITE_URL ${this.ownSiteUrl ?? '(unset)'} is ${this.scope.scope} (${this.scope.why})`
    );
  }

  /** Why the peer address is refused (address, rule, setting), or undefined when it may be reached. */
  refusal(address: string, host?: string): string | undefined {
    const what = host && host !== address ? `peer address ${address} (of ${host})` : `peer address ${address}`;
    const ip = classifyAddress(address);
    if (!ip) return `${what} is refused: it is not an IP address`;
    if (ip.kind === 'forbidden')
      return `${what} is refused: it is ${ip.rule}, which is always refused whatever ${PRIVATE_ADDRESSES_SETTING} says`;
    if (ip.kind === 'public' || this.allowsPrivate) return undefined;
    if (this.setting === false) {
      return `${what} is refused: it is ${ip.rule}, and ${PRIVATE_ADDRESSES_SETTING}=false refuses private and loopback peers (set it to true or auto to allow them)`;
    }
    return (
      `${what} is refused: it is ${ip.rule}, and ${PRIVATE_ADDRESSES_SETTING}=auto allows private and loopback peers only ` +
      `while this server's SITE_URL is itself loopback or private, but SITE_URL ${this.ownSiteUrl ?? '(unset)'} is public ` +
      `(${this.scope.why}); set ${PRIVATE_ADDRESSES_SETTING}=true to allow them`
    );
  }

  /**
   * A peer site URL must be absolute http(s) without credentials; an IP-literal host must pass the policy. Names are
   * checked when they resolve (`checkSiteUrl`, and at connect time). Returns the problem or undefined.
   */
  siteUrlProblem(siteUrl: string): string | undefined {
    const parsed = parseSiteUrl(siteUrl);
    if (typeof parsed === 'string') return parsed;
    const literal = parsed.hostname.replace(/^\[|\]$/g, '');
    return isIP(literal) ? this.refusal(literal) : undefined;
  }

  /** `siteUrlProblem`, and for a host name every address it resolves to (a name that does not resolve is a problem). */
  async checkSiteUrl(siteUrl: string, resolve: Resolver = systemResolver): Promise<string | undefined> {
    const problem = this.siteUrlProblem(siteUrl);
    if (problem) return problem;
    const host = new URL(siteUrl).hostname;
    if (isIP(host.replace(/^\[|\]$/g, ''))) return undefined;
    let addresses: string[];
    try {
      addresses = await resolve(host);
    } catch (err) {
      return `host ${host} does not resolve (${err instanceof Error ? err.message : String(err)})`;
    }
    if (addresses.length === 0) return `host ${host} does not resolve`;
    for (const address of addresses) {
      const refused = this.refusal(address, host);
      if (refused) return refused;
    }
    return undefined;
  }
}

/** This server's policy, from its settings. */
export function peerAddressPolicy(config: AppConfig): PeerAddressPolicy {
  return new PeerAddressPolicy(config.remoteCluster.allowPrivateAddresses, config.siteUrl);
}

/** The URL when it may be a peer's site URL, else what is wrong with it. */
function parseSiteUrl(siteUrl: string): URL | string {
  let url: URL;
  try {
    url = new URL(siteUrl);
  } catch {
    return `site URL ${JSON.stringify(siteUrl.slice(0, 200))} is not a valid URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `site URL is refused: only http and https site URLs are allowed, not ${url.protocol}`;
  if (url.username || url.password) return 'site URL is refused: site URLs must not carry credentials';
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (METADATA_HOSTS.has(host)) return `site URL ${url.origin} is refused: ${host} is a cloud metadata host, always refused`;
  return url;
}
