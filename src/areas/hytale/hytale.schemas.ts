// Request and answer shapes of the Hytale routes: upstream's paths and top-level snake_case
// fields (never wrapped in `data`), plus the fields documented clients send instead.
import { z } from "@hono/zod-openapi";
import { clampedSize } from "../../platform/pagination.ts";

export const AccountId = z
  .string()
  .regex(/^[A-Za-z0-9_.:@-]{1,128}$/, "must be 1-128 letters, digits or _ . : @ -")
  .openapi({ description: "The account (a member's own user id; admins and service keys may name any)" });

export const DeviceCodeBody = z.object({ account_id: AccountId.optional() });

export const TokenBody = z.object({
  device_code: z.string().min(1).max(512),
  account_id: AccountId.optional(),
});

export const RefreshBody = z.object({
  account_id: AccountId.optional(),
  /** The documented client sends the refresh token it was given instead of account_id. */
  refresh_token: z.string().min(1).max(4096).optional(),
});

export const AccountBody = z.object({ account_id: AccountId.optional() });

export const SelectProfileBody = z.object({
  account_id: AccountId.optional(),
  profile_uuid: z.uuid(),
});

export const DeviceCodeAnswer = z
  .object({
    success: z.literal(true),
    device_code: z.string(),
    user_code: z.string(),
    verification_uri: z.string(),
    verification_uri_complete: z.string().optional(),
    expires_in: z.number().int(),
    interval: z.number().int(),
  })
  .openapi("HytaleDeviceCode");

export const TokenAnswerSchema = z
  .object({
    success: z.literal(true),
    access_token: z.string(),
    expires_in: z.number().int(),
    token_type: z.string(),
    scope: z.string(),
  })
  .openapi("HytaleAccessToken");

export const OAuthErrorAnswer = z
  .object({
    success: z.literal(false),
    error: z.string(),
    error_description: z.string().optional(),
    interval: z.number().int().optional(),
    code: z.string().optional(),
    requestId: z.string().optional(),
  })
  .openapi("HytaleOAuthError");

export const ProfilesAnswer = z
  .object({
    success: z.literal(true),
    owner: z.string(),
    profiles: z.array(z.object({ uuid: z.string(), username: z.string() })),
  })
  .openapi("HytaleProfiles");

export const SelectProfileAnswer = z.object({
  success: z.literal(true),
  message: z.string(),
  profile_uuid: z.string(),
});

export const LogsQuery = z.object({
  account_id: AccountId.optional(),
  limit: clampedSize(1000, 100),
});

export const LogsAnswer = z.object({
  success: z.literal(true),
  count: z.number().int(),
  logs: z.array(
    z.object({
      ID: z.string(),
      AccountID: z.string(),
      ProfileID: z.string().nullable(),
      EventType: z.string(),
      Details: z.string().nullable(),
      IPAddress: z.string().nullable(),
      UserAgent: z.string().nullable(),
      CreatedAt: z.string(),
    }),
  ),
});

export const StatusAnswer = z
  .object({
    success: z.literal(true),
    account_id: z.string(),
    linked: z.boolean(),
    needs_relink: z.boolean(),
    relink_reason: z.string().nullable(),
    access_token_expires_at: z.string().nullable(),
    access_token_valid: z.boolean(),
    last_refreshed_at: z.string().nullable(),
    grant_created_at: z.string().nullable(),
    grant_age_seconds: z.number().int().nullable(),
    grant_renew_by: z.string().nullable(),
    selected_profile_uuid: z.string().nullable(),
    /** The session-cap gauge: live game sessions against the cap. */
    game_sessions: z.object({
      live: z.number().int(),
      cap: z.number().int(),
      near_cap: z.boolean(),
      refresh_mode: z.enum(["server", "broker"]),
      /** Servers whose tokens could not be delivered (refused egg, failing panel). */
      delivery_problems: z.array(
        z.object({
          server_id: z.string().nullable(),
          delivery_status: z.string(),
          delivery_error: z.string().nullable(),
        }),
      ),
    }),
  })
  .openapi("HytaleAccountStatus");
