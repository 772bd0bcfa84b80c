// Request and response shapes of /api/v1/auth/* (upstream's field names; all request fields
// optional in the schema so missing ones get upstream's snake_case codes from the service).
import { z } from "@hono/zod-openapi";

const str = z.string().max(1024);

export const UserDataSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    username: z.string(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    roles: z.array(z.string()),
    isPterodactylAdmin: z.boolean(),
    isVirtfusionAdmin: z.boolean(),
    isSystemAdmin: z.boolean(),
    pterodactylId: z.number().nullable(),
    emailVerified: z.string().nullable(),
  })
  .openapi("UserData");

const TokensSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
  tokenType: z.literal("Bearer"),
});

export const TokenAnswerSchema = z
  .object({
    success: z.literal(true),
    message: z.string(),
    user: UserDataSchema.optional(),
    tokens: TokensSchema,
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number(),
  })
  .openapi("TokenAnswer");

export const MessageSchema = z.object({ success: z.literal(true), message: z.string() }).openapi("Message");
export const UserAnswerSchema = z
  .object({ success: z.literal(true), user: UserDataSchema })
  .openapi("UserAnswer");

export const CredentialsBody = z.object({ email: str.optional(), password: str.optional() });
export const RegisterBody = z.object({
  email: str.optional(),
  password: str.optional(),
  confirmPassword: str.optional(),
  username: z.string().max(64).optional(),
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
});
export const TokenIdBody = z.object({ token: str.optional(), id: str.optional() });
export const EmailBody = z.object({ email: str.optional() });
export const ResetBody = z.object({
  token: str.optional(),
  id: str.optional(),
  password: str.optional(),
  confirmPassword: str.optional(),
});
export const TokenBody = z.object({ token: str.optional() });
export const RefreshBody = z.object({ refreshToken: str.optional() });
