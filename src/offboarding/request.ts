import * as z from 'zod/mini';
import { InvalidRequestError } from '../errors.ts';
import { onboardingRequestSchema } from '../request.ts';
import { ENGLISH_ERRORS } from '../zod-english.ts';

/**
 * An offboarding request: which user leaves, under which ticket, and how long the containment waits
 * before everything is removed. The request id names the execution (a ticket never offboards twice).
 */

/** The longest grace period: Step Functions keeps a Standard execution for at most a year. */
export const MAX_GRACE_PERIOD_DAYS = 90;
export const DEFAULT_GRACE_PERIOD_DAYS = 7;
const DAY_SECONDS = 86_400;

export const offboardingRequestSchema = z.strictObject({
  requestId: onboardingRequestSchema.shape.requestId,
  userName: onboardingRequestSchema.shape.userName,
  gracePeriodDays: z._default(
    z
      .number()
      .check(
        z.int('must be a whole number of days'),
        z.minimum(0, 'must be 0 (remove at once) or more'),
        z.maximum(MAX_GRACE_PERIOD_DAYS, `must be at most ${MAX_GRACE_PERIOD_DAYS} days`),
        z.describe(
          'Days between containment (every credential off, a deny-all) and removal; a restore request in between lifts the containment. 0 removes at once.',
        ),
      ),
    DEFAULT_GRACE_PERIOD_DAYS,
  ),
  requestedBy: z.optional(
    z.string().check(z.minLength(1), z.maxLength(128), z.describe('Who asked (the ticket reporter).')),
  ),
  reason: z.optional(z.string().check(z.maxLength(500), z.describe('Why, as the ticket says.'))),
  contact: z.optional(
    z.strictObject({
      callbackUrl: z.optional(
        z
          .url({ protocol: /^https?$/ })
          .check(
            z.describe(
              "Where the signed outcome is POSTed when the offboarding ends (one of the stage's api.callbackAllowedHosts).",
            ),
          ),
      ),
    }),
  ),
});

export type OffboardingRequest = z.infer<typeof offboardingRequestSchema>;

/** Schema check: every offending field named, before anything is read or changed. */
export function parseOffboardingRequest(input: unknown): OffboardingRequest {
  const parsed = offboardingRequestSchema.safeParse(input, ENGLISH_ERRORS);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(request)',
      message: i.message,
    }));
    throw new InvalidRequestError(
      `invalid offboarding request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return parsed.data;
}

export const graceSecondsOf = (request: OffboardingRequest) => request.gracePeriodDays * DAY_SECONDS;
