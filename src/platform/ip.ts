// What a per-client limit is keyed by: an IPv4 address as it is, an IPv6 address by its /64 (one
// customer is routinely given 2^64 addresses, so the full address would mean nothing), and an
// IPv4-mapped IPv6 address as the IPv4 address it carries.

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIpv4(ip: string): boolean {
  const m = IPV4.exec(ip);
  return m?.slice(1).every((o) => Number(o) <= 255) ?? false;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.toLowerCase();
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted IPv4 part becomes two groups.
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    const v4 = dotted[2] as string;
    if (!isIpv4(v4)) return undefined;
    const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === "" ? [] : part.split(":"));
  const head = parse(halves[0] ?? "");
  const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => Number.parseInt(g, 16));
}

/**
 * The rate-limit key of a client address: `v4:<address>`, `v6:<first four groups>::/64`, or
 * `raw:<text>` for anything unparseable (still a stable key, never a crash).
 */
export function ipKey(ip: string): string {
  const trimmed = ip.trim();
  if (isIpv4(trimmed)) return `v4:${trimmed}`;
  const groups = ipv6Groups(trimmed);
  if (!groups) return `raw:${trimmed.slice(0, 100)}`;
  // ::ffff:a.b.c.d is an IPv4 client.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6] as number, groups[7] as number];
    return `v4:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return `v6:${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}
