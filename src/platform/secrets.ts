// Secrets at rest: AES-256-GCM with a key id ("enc:v2:<keyId>:<base64 nonce|ciphertext|tag>",
// bound to where it is stored through additional data; "enc:v1:" values, without, still read).
// Keys: ENCRYPTION_KEY is id "k1" (or ENCRYPTION_KEYS = "id:base64,id:base64" for rotation; the
// first listed encrypts). Values upstream wrote (base64 nonce+ciphertext, no prefix) still decrypt
// with ENCRYPTION_KEY; anything else is read as legacy plaintext, as upstream did.
import type { Config } from "./env.ts";

const PREFIX = "enc:v1:";

function b64decode(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}
function b64encode(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export interface KeyRing {
  primary?: { id: string; key: CryptoKey };
  byId: Map<string, CryptoKey>;
}

const rings = new WeakMap<object, Promise<KeyRing>>();

async function importKey(b64: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", b64decode(b64), "AES-GCM", false, ["encrypt", "decrypt"]);
}

export function keyRing(config: Pick<Config, "encryptionKey" | "encryptionKeys">): Promise<KeyRing> {
  let ring = rings.get(config);
  if (!ring) {
    ring = (async () => {
      const byId = new Map<string, CryptoKey>();
      const listed = (config.encryptionKeys ?? "")
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => {
          const i = p.indexOf(":");
          return { id: p.slice(0, i), b64: p.slice(i + 1) };
        })
        .filter((k) => k.id && k.b64);
      let primary: KeyRing["primary"];
      for (const k of listed) {
        const key = await importKey(k.b64);
        byId.set(k.id, key);
        primary ??= { id: k.id, key };
      }
      if (config.encryptionKey) {
        const key = await importKey(config.encryptionKey);
        byId.set("k1", key);
        primary ??= { id: "k1", key };
      }
      return { primary, byId };
    })();
    rings.set(config, ring);
    // Nothing is cached from a failure: the next call tries again.
    ring.catch(() => rings.delete(config));
  }
  return ring;
}

const PREFIX_BOUND = "enc:v2:";

/**
 * Encrypts a secret. With `boundTo` (where the value lives, e.g. `config.value:resend_api_key`)
 * the name is AES-GCM additional data (format `enc:v2:`): the ciphertext only decrypts there, so
 * one row's secret pasted into another row does not decrypt.
 */
export async function encryptSecret(ring: KeyRing, plaintext: string, boundTo?: string): Promise<string> {
  if (plaintext === "") return "";
  if (!ring.primary) throw new Error("no encryption key configured");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const params: SubtleCryptoEncryptAlgorithm =
    boundTo === undefined
      ? { name: "AES-GCM", iv }
      : { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(boundTo) };
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(params, ring.primary.key, new TextEncoder().encode(plaintext)),
  );
  const packed = new Uint8Array(iv.length + ct.length);
  packed.set(iv);
  packed.set(ct, iv.length);
  return `${boundTo === undefined ? PREFIX : PREFIX_BOUND}${ring.primary.id}:${b64encode(packed)}`;
}

async function open(key: CryptoKey, packed: Uint8Array, boundTo?: string): Promise<string | undefined> {
  if (packed.length < 12 + 16) return undefined;
  try {
    const params: SubtleCryptoEncryptAlgorithm =
      boundTo === undefined
        ? { name: "AES-GCM", iv: packed.slice(0, 12) }
        : { name: "AES-GCM", iv: packed.slice(0, 12), additionalData: new TextEncoder().encode(boundTo) };
    const pt = await crypto.subtle.decrypt(params, key, packed.slice(12));
    return new TextDecoder().decode(pt);
  } catch {
    return undefined;
  }
}

/**
 * Decrypts our formats (`enc:v2:` needs the same `boundTo` it was written with), then upstream's,
 * else returns the value as legacy plaintext. Throws when a value of ours does not authenticate.
 */
export async function decryptSecret(ring: KeyRing, stored: string, boundTo?: string): Promise<string> {
  if (stored === "") return "";
  const bound = stored.startsWith(PREFIX_BOUND);
  if (bound || stored.startsWith(PREFIX)) {
    const rest = stored.slice((bound ? PREFIX_BOUND : PREFIX).length);
    const i = rest.indexOf(":");
    const key = ring.byId.get(rest.slice(0, i));
    if (!key) throw new Error(`unknown encryption key id "${rest.slice(0, i)}"`);
    if (bound && boundTo === undefined) throw new Error("secret is bound to a place that was not given");
    const value = await open(key, b64decode(rest.slice(i + 1)), bound ? boundTo : undefined);
    if (value === undefined) throw new Error("secret failed authentication");
    return value;
  }
  const legacyKey = ring.byId.get("k1");
  if (legacyKey && /^[A-Za-z0-9+/]+={0,2}$/.test(stored)) {
    const value = await open(legacyKey, b64decode(stored));
    if (value !== undefined) return value;
  }
  return stored;
}
