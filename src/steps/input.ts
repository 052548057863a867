import * as z from 'zod/mini';
import { planSchema } from '../plan.ts';
import { onboardingRequestSchema } from '../request.ts';
import {
  addUserToGroupResultSchema,
  attachGroupPoliciesResultSchema,
  attachUserPoliciesResultSchema,
  createAccessKeyResultSchema,
  createLoginProfileResultSchema,
  createUserResultSchema,
  ensureGroupResultSchema,
  ensureServiceLinkedRolesResultSchema,
} from './results.ts';

/**
 * What every saga step and undo parses, apart from the saga's registry (src/steps/index.ts): a task's
 * bundle then holds its own step, not every other one (nor the age implementation the two sealing
 * steps carry). The keys are the steps' names, in the saga's order; index.ts checks them against
 * SAGA_STEPS by type and a unit test by value.
 */

/** `$.created`: each step's result, once it succeeded. */
export const createdSchema = z.strictObject({
  CreateUser: z.optional(createUserResultSchema),
  EnsureGroup: z.optional(ensureGroupResultSchema),
  AddUserToGroup: z.optional(addUserToGroupResultSchema),
  AttachGroupPolicies: z.optional(attachGroupPoliciesResultSchema),
  AttachUserPolicies: z.optional(attachUserPoliciesResultSchema),
  EnsureServiceLinkedRoles: z.optional(ensureServiceLinkedRolesResultSchema),
  CreateLoginProfile: z.optional(createLoginProfileResultSchema),
  CreateAccessKey: z.optional(createAccessKeyResultSchema),
});

/** The input of every saga step and undo: parsed at the task boundary, never cast. */
export const stepInputSchema = z.strictObject({
  request: onboardingRequestSchema,
  plan: planSchema,
  created: createdSchema,
  execution: z.string().check(z.minLength(1)),
});

export { undoStateName } from './names.ts';
