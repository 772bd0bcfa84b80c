// The Worker's own secrets code (src/platform/secrets.ts), loaded at run time so Node scripts
// encrypt exactly as the Worker decrypts. It is typed against the Workers runtime, which the Node
// project (tsconfig.node.json) does not include, so the shape used here is declared instead.
export interface KeyRing {
  primary?: { id: string };
}
export interface WorkerSecrets {
  keyRing(config: { encryptionKey?: string; encryptionKeys?: string }): Promise<KeyRing>;
  encryptSecret(ring: KeyRing, plaintext: string, boundTo?: string): Promise<string>;
  decryptSecret(ring: KeyRing, stored: string, boundTo?: string): Promise<string>;
}

const path = new URL("../../src/platform/secrets.ts", import.meta.url).href;
export const workerSecrets = (await import(path)) as WorkerSecrets;
