// Secrets at rest: AES-256-GCM with a key id ("enc:v1:<keyId>:<base64 nonce|ciphertext|tag>").
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

export async function encryptSecret(ring: KeyRing, plaintext: string): Promise<string> {
  if (plaintext === "") return "";
  if (!ring.primary) throw new Error("no encryption key configured");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv },
      ring.primary.key,
      new TextEncoder().encode(plaintext),
    ),
  );
  const packed = new Uint8Array(iv.length + ct.length);
  packed.set(iv);
  packed.set(ct, iv.length);
  return `${PREFIX}${ring.primary.id}:${b64encode(packed)}`;
}

async function open(key: CryptoKey, packed: Uint8Array): Promise<string | undefined> {
  if (packed.length < 12 + 16) return undefined;
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: packed.slice(0, 12) },
      key,
      packed.slice(12),
    );
    return new TextDecoder().decode(pt);
  } catch {
    return undefined;
  }
}

/** Decrypts our format, then upstream's, else returns the value as legacy plaintext. */
export async function decryptSecret(ring: KeyRing, stored: string): Promise<string> {
  if (stored === "") return "";
  if (stored.startsWith(PREFIX)) {
    const rest = stored.slice(PREFIX.length);
    const i = rest.indexOf(":");
    const key = ring.byId.get(rest.slice(0, i));
    if (!key) throw new Error(`unknown encryption key id "${rest.slice(0, i)}"`);
    const value = await open(key, b64decode(rest.slice(i + 1)));
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
