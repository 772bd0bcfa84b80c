// The run-wide log check must be able to fail: each kind of leak is found, clean lines pass.
import assert from "node:assert/strict";
import { test } from "node:test";
import { findLeaks } from "./log-leaks.ts";
import { TEST_PASSWORD, TEST_SECRETS } from "./test-secrets.ts";

test("finds the run's secrets, passwords, JWTs and unredacted token values", () => {
  assert.deepEqual(findLeaks(`{"msg":"x","k":"${TEST_SECRETS.BACKEND_API_KEY}"}`), [
    "the BACKEND_API_KEY value",
  ]);
  assert.equal(findLeaks(`password ${TEST_PASSWORD}`).length, 1);
  assert.equal(findLeaks("auth eyJhbGciOiJIUzI1NiJ9.eyJpZCI6InUtMSJ9.c2lnbmF0dXJlLXZhbHVl").length, 1);
  assert.equal(findLeaks('"path":"/api/admin/sync/stream/1?token=abcdef123456"').length, 1);
  assert.equal(findLeaks("authorization: Bearer abcdefghijklmnopqrstuvwx").length, 1);
  assert.equal(findLeaks("panel key ptla_secret", ["ptla_secret"]).length, 1);
});

test("passes redacted and ordinary lines", () => {
  assert.deepEqual(findLeaks('{"path":"/api/admin/sync/stream/1?token=[redacted]","status":401}'), []);
  assert.deepEqual(findLeaks('{"level":"info","msg":"job done","jobId":"email:magic_link:ab12"}'), []);
});
