import * as z from 'zod/mini';

/**
 * The two sealing steps' results, apart from the steps themselves: every task parses `$.created`
 * (src/steps/input.ts), only these two steps seal, and the age implementation stays in their bundles.
 */

export const createLoginProfileResultSchema = z.strictObject({
  skipped: z.boolean(),
  userName: z.optional(z.string()),
  signInUrl: z.optional(z.string()),
  passwordResetRequired: z.optional(z.boolean()),
  /** The sign-in URL, user name and one-time password, as an armored age file to `contact.recipient`. */
  ciphertext: z.optional(z.string()),
});

/**
 * Only references leave this step: the key id and where the secret is - the member's own secret, or an
 * armored age file that only the member's private key opens. Never the secret itself.
 */
export const createAccessKeyResultSchema = z.strictObject({
  accessKeyId: z.optional(z.string()),
  secretArn: z.optional(z.string()),
  secretName: z.optional(z.string()),
  /** The key id and secret access key, as an armored age file to `contact.recipient`. */
  ciphertext: z.optional(z.string()),
  skipped: z.boolean(),
});
