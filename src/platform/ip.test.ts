// Per-client keys: IPv4 by address, IPv6 by /64, mapped IPv4 as IPv4, junk as a stable key.
import { describe, expect, it } from "vitest";
import { ipKey } from "./ip.ts";

describe("ipKey", () => {
  it("keys IPv4 clients by their address", () => {
    expect(ipKey("203.0.113.7")).toBe("v4:203.0.113.7");
    expect(ipKey("203.0.113.8")).not.toBe(ipKey("203.0.113.7"));
  });

  it("keys every address of one IPv6 /64 alike, and different /64s apart", () => {
    const a = ipKey("2001:db8:1:2::1");
    expect(a).toBe("v6:2001:db8:1:2::/64");
    expect(ipKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe(a);
    expect(ipKey("2001:DB8:1:2:aaaa::bbbb")).toBe(a);
    expect(ipKey("2001:db8:1:3::1")).not.toBe(a);
    expect(ipKey("::1")).toBe("v6:0:0:0:0::/64");
    expect(ipKey("fe80::1%eth0")).toBe("v6:fe80:0:0:0::/64");
  });

  it("treats IPv4-mapped IPv6 as the IPv4 client", () => {
    expect(ipKey("::ffff:203.0.113.7")).toBe("v4:203.0.113.7");
    expect(ipKey("::ffff:cb00:7107")).toBe("v4:203.0.113.7");
  });

  it("gives unparseable values a stable key instead of failing", () => {
    expect(ipKey("not-an-ip")).toBe("raw:not-an-ip");
    expect(ipKey("1:2:3:4:5:6:7:8:9")).toBe("raw:1:2:3:4:5:6:7:8:9");
    expect(ipKey("999.1.1.1")).toBe("raw:999.1.1.1");
  });
});
