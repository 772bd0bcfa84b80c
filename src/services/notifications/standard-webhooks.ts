// Standard Webhooks (https://www.standardwebhooks.com), the signing half: `whsec_` secrets,
// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` signatures (one per live secret, space
// separated, during a rotation), and the endpoint-URL rule (HTTPS on a public host; a loopback
// http:// address too outside production, so a local receiver can check the signatures).

const enc = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

export function isSigningSecret(value: string): boolean {
  return /^whsec_[A-Za-z0-9+/]{40,}={0,2}$/.test(value);
}

/** `v1,<signature>` over `${id}.${timestamp}.${body}` with the secret's key bytes. */
export async function sign(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64(secret.replace(/^whsec_/, "")),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, enc.encode(`${id}.${timestamp}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** The three headers of one attempt; every live secret signs (the current one first). */
export async function signedHeaders(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<Record<string, string>> {
  const signatures = await Promise.all(secrets.map((s) => sign(s, id, timestamp, body)));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}

const PRIVATE_V4 = [/^0\./, /^10\./, /^127\./, /^169\.254\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./];
const PRIVATE_V4_CGNAT = /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./;

/**
 * Why an endpoint URL is refused, or undefined when it is acceptable. Production: `https://`, a
 * DNS name with a public-looking suffix or a public IP, no credentials. Elsewhere also
 * `http://127.0.0.1:<port>` / `http://localhost:<port>`.
 */
export function endpointUrlProblem(raw: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.username || url.password) return "credentials in the URL are not allowed";
  if (url.hash) return "a #fragment is not allowed";
  const host = url.hostname.toLowerCase();
  const loopback = host === "127.0.0.1" || host === "localhost" || host === "[::1]";
  if (!production && loopback && (url.protocol === "http:" || url.protocol === "https:")) return undefined;
  if (url.protocol !== "https:") return "only https:// endpoints are allowed";
  if (host.startsWith("[")) return "IPv6 literals are not allowed; use a host name";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    if (
      PRIVATE_V4.some((re) => re.test(host)) ||
      PRIVATE_V4_CGNAT.test(host) ||
      /^(22[4-9]|2[3-5]\d)\./.test(host)
    )
      return "private, loopback and reserved addresses are not allowed";
    return undefined;
  }
  if (!host.includes(".")) return "the host must be a public DNS name";
  if (/\.(localhost|local|internal|lan|home|arpa|test|invalid|example)$/.test(host) || host === "localhost")
    return "the host must be a public DNS name";
  return undefined;
}
