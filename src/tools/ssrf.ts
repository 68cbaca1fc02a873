import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { Agent } from "undici";

/** A request the SSRF guard refused; its message says which address and why. */
export class BlockedAddressError extends Error {
  override name = "BlockedAddressError";
}

/**
 * Why `address` (an IP literal) may not be reached, or undefined for a public unicast address.
 * IPv4-mapped IPv6 is judged as the IPv4 it carries; everything but public unicast is refused:
 * loopback, private, link-local (which holds 169.254.169.254, the cloud metadata service),
 * unique-local (fd00:ec2::254), carrier-grade NAT (100.100.100.200), multicast, reserved, and
 * the IPv6 forms that tunnel to IPv4 (6to4, Teredo, NAT64).
 */
export function addressRefusal(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
  const range = ipaddr.process(address).range();
  return range === "unicast" ? undefined : `${address} is a ${range} address`;
}

/** The hostname of a URL as it is resolved: without IPv6 brackets, lower case. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/**
 * Throws unless `url` is http(s) and its host is allowed explicitly or, when it is an IP literal,
 * public. The URL parser has already turned decimal and octal spellings (2130706433, 0177.0.0.1)
 * into dotted IPv4, so they are judged as what they reach. Names are checked when they resolve.
 */
export function checkUrl(url: URL, allowedHosts: ReadonlySet<string>): void {
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new BlockedAddressError(`only http and https URLs are allowed, not ${url.protocol}`);
  const host = hostOf(url);
  if (allowedHosts.has(host) || isIP(host) === 0) return;
  const refusal = addressRefusal(host);
  if (refusal) throw new BlockedAddressError(`refused to connect to ${host}: ${refusal}`);
}

/**
 * An undici dispatcher whose connections check every address a name resolves to, at connect time,
 * so a name that resolves (or rebinds) to a private address is refused too.
 */
export function guardedAgent(allowedHosts: ReadonlySet<string>): Agent {
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      if (!allowedHosts.has(hostname.toLowerCase())) {
        const refused = addresses.map((entry) => addressRefusal(entry.address)).find((reason) => reason !== undefined);
        if (refused) return callback(new BlockedAddressError(`refused to connect to ${hostname}: ${refused}`), "", 0);
      }
      if (options.all) return (callback as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      const [first] = addresses;
      if (!first) return callback(new BlockedAddressError(`${hostname} resolved to no address`), "", 0);
      callback(null, first.address, first.family);
    });
  };
  return new Agent({ connect: { lookup } });
}
