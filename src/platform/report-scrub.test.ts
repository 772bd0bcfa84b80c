// What an error report may carry (report-scrub.ts): no request headers, cookies, body or query,
// no user, and no token, JWT, bearer credential, e-mail address or query parameter values.
import { describe, expect, it } from "vitest";
import { scrubReport, scrubText } from "./report-scrub.ts";

describe("scrubReport", () => {
  it("reduces the request to method and path and drops the user", () => {
    const out = scrubReport({
      request: {
        method: "POST",
        url: "https://api.nodebyte.host/api/v1/auth/login?token=abc123&next=/x",
        headers: { authorization: "Bearer abc" },
        cookies: { session: "s" },
        data: '{"password":"hunter2"}',
        query_string: "token=abc123",
      },
      user: { email: "ada@example.com", ip_address: "203.0.113.9" },
      tags: { requestId: "r1", route: "/api/v1/auth/login" },
    });
    expect(out).toEqual({
      request: { method: "POST", url: "https://api.nodebyte.host/api/v1/auth/login" },
      tags: { requestId: "r1", route: "/api/v1/auth/login" },
    });
  });

  it("scrubs every string: e-mails, JWTs, bearer values, secret query values, failed-query parameters", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl";
    const text = scrubText(
      `Failed query: select 1 where email = $1\nparams: ada@example.com,secret | Bearer ${jwt} | https://x.test/a?token=live&b=1 | Key (email)=(bob@example.com)`,
    );
    for (const leak of ["ada@example.com", "bob@example.com", jwt, "token=live", "secret"])
      expect(text).not.toContain(leak);
    expect(text).toContain("params: [redacted]");
  });

  it("redacts secret-looking keys and removes query, header and body attributes anywhere (spans, breadcrumbs)", () => {
    const out = scrubReport({
      breadcrumbs: [
        { category: "fetch", data: { url: "https://panel.test/api/x?api_key=k1&page=2", method: "GET" } },
      ],
      spans: [
        {
          data: {
            "http.query": "?page=2",
            "url.full": "https://panel.test/api?x=1",
            "http.request.header.authorization": "k",
          },
        },
      ],
      extra: { password: "hunter2", apiKey: "k2", nested: { token: "t" } },
    }) as Record<string, unknown>;
    expect(out).toEqual({
      breadcrumbs: [{ category: "fetch", data: { url: "https://panel.test/api/x", method: "GET" } }],
      spans: [{ data: { "url.full": "https://panel.test/api" } }],
      extra: { password: "[redacted]", apiKey: "[redacted]", nested: { token: "[redacted]" } },
    });
  });
});
