import * as z from 'zod/mini';

/**
 * The steps' results, apart from the steps themselves: every task parses `$.created`
 * (src/steps/input.ts), and a task's bundle then holds its own step only (a step module's
 * `defineStep(...)` is kept wherever the module is imported), nor the age implementation the two
 * sealing steps carry.
 */

export const createUserResultSchema = z.strictObject({
  userName: z.string(),
  userArn: z.string(),
  /** True when a retry found the user already created by this execution (the first answer was lost). */
  adopted: z.boolean(),
});

export const ensureGroupResultSchema = z.strictObject({
  groupName: z.string(),
  /** True only when this execution's own CreateGroup call answered success. */
  created: z.boolean(),
});

export const addUserToGroupResultSchema = z.strictObject({ userName: z.string(), groupName: z.string() });

export const attachGroupPoliciesResultSchema = z.strictObject({
  groupName: z.string(),
  attached: z.array(z.string()),
  /** The group existed before this execution: what it attached is drift repair, kept on rollback. */
  driftRepair: z.boolean(),
});

export const attachUserPoliciesResultSchema = z.strictObject({
  userName: z.string(),
  attached: z.array(z.string()),
});

export const ensureServiceLinkedRolesResultSchema = z.strictObject({
  roles: z.array(z.strictObject({ service: z.string(), roleName: z.string(), created: z.boolean() })),
});

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
