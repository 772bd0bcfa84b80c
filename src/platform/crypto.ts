// Small Web Crypto helpers: random tokens, SHA-256 hex, constant-time comparison.

export function randomHex(bytes = 32): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return [...buf].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Random string over [a-z0-9] (no ambiguity in URLs, logs or key prefixes). */
export function randomAlphanumeric(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const out: string[] = [];
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      // 252 = 7 × 36: drop the tail so every character is equally likely.
      if (b < 252 && out.length < length) out.push(alphabet[b % 36] as string);
    }
  }
  return out.join("");
}

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two strings in time independent of where they differ (both are hashed to equal length first). */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([sha256Hex(a), sha256Hex(b)]);
  return crypto.subtle.timingSafeEqual(new TextEncoder().encode(ha), new TextEncoder().encode(hb));
}
