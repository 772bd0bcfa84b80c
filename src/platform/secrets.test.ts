// Secrets at rest: round trip with key ids, rotation, upstream's format, tampering.
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, keyRing } from "./secrets.ts";

const k1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const k2 = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";

describe("secrets at rest", () => {
  it("encrypts with a key id and decrypts, never storing plaintext", async () => {
    const ring = await keyRing({ encryptionKey: k1, encryptionKeys: undefined });
    const stored = await encryptSecret(ring, "ptla_secret_value");
    expect(stored).toMatch(/^enc:v1:k1:/);
    expect(stored).not.toContain("ptla_secret_value");
    expect(await decryptSecret(ring, stored)).toBe("ptla_secret_value");
    expect(await encryptSecret(ring, "")).toBe("");
  });

  it("keeps reading old keys after rotation", async () => {
    const old = await keyRing({ encryptionKey: k1, encryptionKeys: undefined });
    const stored = await encryptSecret(old, "value");
    const rotated = await keyRing({ encryptionKey: k1, encryptionKeys: `k2:${k2}` });
    expect(rotated.primary?.id).toBe("k2");
    expect(await decryptSecret(rotated, stored)).toBe("value");
    expect(await encryptSecret(rotated, "value")).toMatch(/^enc:v1:k2:/);
  });

  it("reads upstream's base64(nonce|ciphertext) values and legacy plaintext", async () => {
    const key = await crypto.subtle.importKey(
      "raw",
      Uint8Array.from(atob(k1), (c) => c.charCodeAt(0)),
      "AES-GCM",
      false,
      ["encrypt"],
    );
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode("go-secret")),
    );
    const upstream = btoa(String.fromCharCode(...iv, ...ct));
    const ring = await keyRing({ encryptionKey: k1, encryptionKeys: undefined });
    expect(await decryptSecret(ring, upstream)).toBe("go-secret");
    expect(await decryptSecret(ring, "plain-old-value")).toBe("plain-old-value");
  });

  it("binds a ciphertext to where it lives: it decrypts there and nowhere else", async () => {
    const ring = await keyRing({ encryptionKey: k1, encryptionKeys: undefined });
    const stored = await encryptSecret(ring, "re_live_123", "config.value:resend_api_key");
    expect(stored.startsWith("enc:v2:k1:")).toBe(true);
    expect(await decryptSecret(ring, stored, "config.value:resend_api_key")).toBe("re_live_123");
    await expect(decryptSecret(ring, stored, "config.value:github_token")).rejects.toThrow(/authentication/);
    await expect(decryptSecret(ring, stored)).rejects.toThrow(/bound/);
    // Values written before binding (enc:v1) keep reading.
    const old = await encryptSecret(ring, "legacy");
    expect(await decryptSecret(ring, old, "config.value:anything")).toBe("legacy");
  });

  it("refuses a tampered value", async () => {
    const ring = await keyRing({ encryptionKey: k1, encryptionKeys: undefined });
    const stored = await encryptSecret(ring, "value");
    const tampered = `${stored.slice(0, -4)}AAA=`;
    await expect(decryptSecret(ring, tampered)).rejects.toThrow(/authentication/);
  });
});
