import * as z from 'zod/mini';
import type { OnboardingConfig } from './config.ts';
import { InvalidRequestError, RequestNotAllowedError } from './errors.ts';
import { ENGLISH_ERRORS } from './zod-english.ts';

/**
 * The onboarding request: the execution's input, and what a ticketing tool sends. The same schema is
 * published as JSON Schema (`schema/onboarding-request.schema.json`, `onboard schema`).
 */

/** Tags this project sets itself; a request may not set or spoof them. */
export const TAG_REQUEST_ID = 'onboarding:request-id';
export const TAG_EXECUTION = 'onboarding:execution';
export const TAG_ACCESS_KEY_ID = 'onboarding:access-key-id';
const RESERVED_TAG_PREFIXES = ['aws:', 'onboarding:'];

/**
 * The characters a user name may use: those valid both in an IAM user name (`[\w+=,.@-]`) and in a
 * Secrets Manager secret name (`[A-Za-z0-9/_+=.@-]`), since the access key's secret is named
 * `<secretPrefix><userName>/access-key`. A comma is valid in IAM only, so it is refused here, before
 * anything is created, rather than by Secrets Manager after the user exists. `\w` is ASCII in JS.
 */
export const USER_NAME_CHARS = /^[A-Za-z0-9_+=.@-]+$/;
/** Secrets Manager's own secret-name characters, for the name built from the user name. */
export const SECRET_NAME_CHARS = /^[A-Za-z0-9/_+=.@-]+$/;
export const USER_NAME_CHARS_MESSAGE =
  'may only contain letters, digits and + = . @ _ - (valid in both IAM user and Secrets Manager secret names; no comma)';
const GROUP_NAME_CHARS = /^[\w+=,.@-]+$/;
const GROUP_NAME_CHARS_MESSAGE = 'may only contain letters, digits and + = , . @ _ -';
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** An IAM user or group name: its character set, 1 to `max` characters. */
const iamName = (max: number, limit: string, chars: RegExp, message: string, description: string) =>
  z
    .string()
    .check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(max, `must be at most ${max} characters (${limit})`),
      z.regex(chars, message),
      z.describe(description),
    );

/** Leading or trailing whitespace would let " aws:x" past the reserved-prefix rule, and IAM trims nothing. */
const untrimmed = (what: string) =>
  z.refine<string>((v) => v.trim() === v, `${what} must not start or end with whitespace; remove it`);

export const onboardingRequestSchema = z.strictObject({
  requestId: z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/,
        'must be 1-80 letters, digits, "-" or "_", starting with a letter or digit (it becomes the execution name)',
      ),
      z.describe(
        'The ticket key (e.g. "HR-1234"). It names the execution, so a ticket never onboards twice.',
      ),
    ),
  userName: iamName(
    64,
    'IAM user name limit',
    USER_NAME_CHARS,
    USER_NAME_CHARS_MESSAGE,
    'The IAM user name to create (it also names the access key secret).',
  ),
  group: iamName(
    128,
    'IAM group name limit',
    GROUP_NAME_CHARS,
    GROUP_NAME_CHARS_MESSAGE,
    'The IAM group to put the user in; created if it does not exist. Must be allowlisted.',
  ),
  policyArns: z._default(
    z
      .array(
        z
          .string()
          .check(
            z.regex(/^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/, 'must be an IAM policy ARN'),
          ),
      )
      .check(
        z.maxLength(10, 'at most 10 managed policies can be attached to a group'),
        z.describe('Managed policies the group must carry (attached if missing). Each must be allowlisted.'),
      ),
    [],
  ),
  serviceLinkedRoles: z._default(
    z
      .array(
        z
          .string()
          .check(
            z.regex(
              /^[a-z0-9.-]+\.amazonaws\.com$/,
              'must be a service principal like "elasticache.amazonaws.com"',
            ),
          ),
      )
      .check(
        z.maxLength(20),
        z.describe('Services whose service-linked role must exist in the account. Each must be allowlisted.'),
      ),
    [],
  ),
  accessKey: z._default(
    z
      .boolean()
      .check(z.describe('Issue an access key (stored in Secrets Manager, readable by the user only).')),
    true,
  ),
  tags: z._default(
    z
      .record(
        z
          .string()
          .check(
            z.minLength(1),
            z.maxLength(128),
            z.regex(TAG_CHARS, 'tag keys use letters, digits, spaces and _ . : / = + - @'),
            untrimmed('a tag key'),
          ),
        z
          .string()
          .check(
            z.maxLength(256),
            z.regex(TAG_CHARS, 'tag values use letters, digits, spaces and _ . : / = + - @'),
            untrimmed('a tag value'),
          ),
      )
      .check(
        z.describe(
          'Extra tags for the user (at most 40; keys starting with "aws:" or "onboarding:" are reserved).',
        ),
      ),
    {},
  ),
  contact: z.optional(
    z
      .strictObject({
        email: z.optional(z.email()),
        callbackUrl: z.optional(z.url({ protocol: /^https?$/ })),
      })
      .check(
        z.describe(
          'Who to tell: an email for the record, and a URL that receives the signed completion summary.',
        ),
      ),
  ),
});

export type OnboardingRequest = z.infer<typeof onboardingRequestSchema>;
export type OnboardingRequestInput = z.input<typeof onboardingRequestSchema>;

export interface FieldIssue {
  path: string;
  message: string;
}

/** Schema check: a clear error naming every offending field, before anything is created. */
export function parseRequest(input: unknown): OnboardingRequest {
  const parsed = onboardingRequestSchema.safeParse(input, ENGLISH_ERRORS);
  if (!parsed.success) {
    const issues: FieldIssue[] = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(request)',
      // A record key's own failure is nested ("Invalid input" alone says nothing).
      message: (i.code === 'invalid_key' ? i.issues[0]?.message : undefined) ?? i.message,
    }));
    throw new InvalidRequestError(
      `invalid onboarding request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  const request = parsed.data;
  const tagKeys = Object.keys(request.tags);
  if (tagKeys.length > 40) {
    throw new InvalidRequestError('invalid onboarding request: tags: at most 40 tags', [
      { path: 'tags', message: 'at most 40 tags' },
    ]);
  }
  const reserved = tagKeys.find((k) => RESERVED_TAG_PREFIXES.some((p) => k.toLowerCase().startsWith(p)));
  if (reserved) {
    throw new InvalidRequestError(`invalid onboarding request: tags.${reserved}: the prefix is reserved`, [
      { path: `tags.${reserved}`, message: 'keys starting with "aws:" or "onboarding:" are reserved' },
    ]);
  }
  return request;
}

/** Policy check: everything asked for must be on the allowlists of the configuration. */
export function checkAllowed(request: OnboardingRequest, config: OnboardingConfig): void {
  const problems: string[] = [];
  if (!config.allowedGroups.includes(request.group)) {
    problems.push(`group "${request.group}" is not in allowedGroups`);
  }
  for (const arn of request.policyArns) {
    if (!config.allowedPolicyArns.includes(arn)) problems.push(`policy "${arn}" is not in allowedPolicyArns`);
  }
  for (const service of request.serviceLinkedRoles) {
    if (!config.allowedServiceLinkedRoles.includes(service)) {
      problems.push(`service-linked role for "${service}" is not in allowedServiceLinkedRoles`);
    }
  }
  if (problems.length > 0) {
    throw new RequestNotAllowedError(`request ${request.requestId} is not allowed: ${problems.join('; ')}`);
  }
}

/** The full check made by ValidateRequest, `onboard plan` and the HTTP API. */
export function validateRequest(input: unknown, config: OnboardingConfig): OnboardingRequest {
  const request = parseRequest(input);
  checkAllowed(request, config);
  // Duplicates are harmless to IAM but would make the plan list a resource twice.
  return {
    ...request,
    policyArns: [...new Set(request.policyArns)],
    serviceLinkedRoles: [...new Set(request.serviceLinkedRoles)],
  };
}
