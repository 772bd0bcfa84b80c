// The secrets of the test run: bound into the Worker by vitest.config.ts, used by the tests, and
// searched for in every log line of the run by test/global-setup.ts (none may appear). Pure
// constants: imported from Node (config, global setup) and from workerd (tests) alike.

export const TEST_SECRETS = {
  JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789",
  ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  BACKEND_API_KEY: "test-backend-api-key",
  RESEND_API_KEY: "re_test_key_0123456789",
} as const;

/** The password of every seeded test user. */
export const TEST_PASSWORD = "Corr3ct-Horse-Battery";

/** Passwords tests send on purpose (wrong or new ones): never to be logged either. */
export const TEST_PASSWORDS = [
  TEST_PASSWORD,
  "Str0ng-password",
  "Wrong-password-1",
  "Not-the-password-1",
  "N3w-Passw0rd",
  "New-passw0rd-1",
];
