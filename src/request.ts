import * as z from 'zod/mini';
import type { OnboardingConfig, Profile } from './config.ts';
import { didYouMean } from './did-you-mean.ts';
import { InvalidRequestError, RequestNotAllowedError } from './errors.ts';
import { recipientKind } from './handover/recipient.ts';
import { ENGLISH_ERRORS } from './zod-english.ts';

/**
 * The onboarding request: the execution's input, and what a ticketing tool sends. The same schema is
 * published as JSON Schema (`schema/onboarding-request.schema.json`, `onboard schema`).
 */

/** Tags this project sets itself; a request may not set or spoof them. */
export const TAG_REQUEST_ID = 'onboarding:request-id';
export const TAG_EXECUTION = 'onboarding:execution';
export const TAG_ACCESS_KEY_ID = 'onboarding:access-key-id';
/** On a contained leaver: the offboarding's request id (a rehire meanwhile is refused, naming it). */
export const TAG_OFFBOARDING = 'onboarding:offboarding';
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
  profile: z
    .string()
    .check(
      z.regex(
        /^[a-z0-9][a-z0-9-]{0,63}$/,
        'must be a profile name: 1-64 lower-case letters, digits and "-" (onboard schema lists them)',
      ),
      z.describe(
        "The access profile (a job function in the configuration): it decides the group, the group's policies, the service-linked roles, the credentials and the permissions boundary.",
      ),
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
        z.maxLength(10, 'at most 10 managed policies can be attached to a user'),
        z.describe(
          "Extra managed policies for this user alone (attached to the user, never to the shared group). Each must be on the profile's userPolicyArns.",
        ),
      ),
    [],
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
  requestedBy: z.optional(
    z
      .string()
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(256, 'must be at most 256 characters'),
        z.regex(
          /^[^\s,;]+$/,
          'must be one identity (no white space, comma or semicolon), e.g. an e-mail address',
        ),
        z.describe(
          "Who asked for this onboarding, as the ticketing tool names people (e.g. the reporter's e-mail). Required for a privileged profile: its approver must be someone else.",
        ),
      ),
  ),
  contact: z.optional(
    z
      .strictObject({
        email: z.optional(z.email()),
        callbackUrl: z.optional(z.url({ protocol: /^https?$/ })),
        recipient: z.optional(
          z.string().check(
            z.maxLength(1000, 'must be at most 1000 characters (one public key line)'),
            z.superRefine((value, ctx) => {
              try {
                recipientKind(value);
              } catch (error) {
                ctx.addIssue({ code: 'custom', message: (error as Error).message, input: value });
              }
            }),
            z.describe(
              "The new member's own public key: an age recipient (age1..., from age-keygen) or an SSH public key line (ssh-ed25519 AAAA...). The one-time console password and any access key are encrypted to it (age format, armored) and delivered only so; `onboard reveal` or `age -d -i <private key>` opens them.",
            ),
          ),
        ),
      })
      .check(
        z.describe(
          "Who to tell: an email for the record, a URL that receives the signed completion summary, and the hire's public key that the credentials are encrypted to.",
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

/** Keys of the request model before profiles: what the profile decides now, and how to say it. */
const DECIDED_BY_THE_PROFILE: Record<string, string> = {
  group: 'the group comes from the profile: name a "profile" instead',
  serviceLinkedRoles: 'the service-linked roles come from the profile: name a "profile" instead',
  accessKey: 'the credentials come from the profile: name a "profile" instead',
};

/** Schema check: a clear error naming every offending field, before anything is created. */
export function parseRequest(input: unknown): OnboardingRequest {
  // A key the profile decides now is named with what to do instead, alongside every other issue.
  const issues: FieldIssue[] = [];
  let body = input;
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const legacy = Object.keys(input).filter((k) => Object.hasOwn(DECIDED_BY_THE_PROFILE, k));
    for (const k of legacy) issues.push({ path: k, message: DECIDED_BY_THE_PROFILE[k] as string });
    if (legacy.length > 0) {
      body = Object.fromEntries(Object.entries(input).filter(([k]) => !legacy.includes(k)));
    }
  }
  const parsed = onboardingRequestSchema.safeParse(body, ENGLISH_ERRORS);
  if (!parsed.success) {
    issues.push(
      ...parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(request)',
        // A record key's own failure is nested ("Invalid input" alone says nothing).
        message: (i.code === 'invalid_key' ? i.issues[0]?.message : undefined) ?? i.message,
      })),
    );
  }
  if (!parsed.success || issues.length > 0) {
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

/** The profile a request names, or a clear refusal listing the known ones. */
export function profileOf(
  request: Pick<OnboardingRequest, 'profile' | 'requestId'>,
  config: OnboardingConfig,
): Profile {
  const profile = Object.hasOwn(config.profiles, request.profile)
    ? config.profiles[request.profile]
    : undefined;
  if (!profile) {
    const known = Object.keys(config.profiles);
    throw new RequestNotAllowedError(
      `request ${request.requestId} is not allowed: profile "${request.profile}" is not in the configuration's profiles${didYouMean(request.profile, known)} (known: ${known.join(', ')})`,
    );
  }
  return profile;
}

/** Policy check: the profile exists, and every extra policy is on that profile's own allowlist. */
export function checkAllowed(request: OnboardingRequest, config: OnboardingConfig): Profile {
  const profile = profileOf(request, config);
  const problems: string[] = [];
  for (const arn of request.policyArns) {
    if (!profile.userPolicyArns.includes(arn)) {
      problems.push(
        profile.groupPolicyArns.includes(arn)
          ? `policy "${arn}" is carried by the profile's group already; leave it out`
          : `policy "${arn}" is not in profiles.${request.profile}.userPolicyArns${didYouMean(arn, profile.userPolicyArns)} (allowed: ${profile.userPolicyArns.join(', ') || 'none'})`,
      );
    }
  }
  if (profile.boundary === null) {
    // The roles allow CreateUser with a configured boundary only: say so before anything is created.
    problems.push(
      `profile "${request.profile}" has no permissions boundary ("boundary": null); this deployment creates users under a configured boundary only`,
    );
  }
  if (problems.length > 0) {
    throw new RequestNotAllowedError(`request ${request.requestId} is not allowed: ${problems.join('; ')}`);
  }
  return profile;
}

/**
 * Credentials only where someone can read them: a console password and an access key handed over
 * "recipient" are encrypted to the request's `contact.recipient`, so without one they would reach nobody;
 * an access key kept in Secrets Manager is read by its member after a console sign-in. Refused before
 * anything is created, naming the fix.
 */
export function checkHandOver(request: OnboardingRequest, profile: Profile): void {
  if (request.contact?.recipient) return;
  const { console: consoleAccess, accessKey, accessKeyDelivery } = profile.credentials;
  const fix =
    'add "contact": {"recipient": "age1..."} (the hire\'s age-keygen public key) or their "ssh-ed25519 AAAA..." public key line; nothing was created';
  let problem: string;
  if (accessKey && !consoleAccess) {
    problem = `profile "${request.profile}" gives an access key and no console sign-in, and there is no recipient to encrypt the key to: kept in Secrets Manager, nobody could ever read it (the member could not sign in to read it)`;
  } else {
    const what =
      consoleAccess && accessKey && accessKeyDelivery === 'recipient'
        ? 'a one-time console password and an access key'
        : consoleAccess
          ? 'a one-time console password'
          : 'an access key';
    problem = `profile "${request.profile}" hands over ${what} encrypted to the hire's own key, and there is no recipient: nobody could ever read ${what.includes(' and ') ? 'them' : 'it'}`;
  }
  throw new InvalidRequestError(`invalid onboarding request: contact.recipient: ${problem}; ${fix}`, [
    { path: 'contact.recipient', message: `${problem}; ${fix}` },
  ]);
}

/** What a request's profile asks of the approval gate: computed from the configuration, never the event. */
export interface ApprovalNeed {
  required: boolean;
  /** Who may approve (the profile's approvers), never the requester. */
  approvers: string[];
  /** How long the approval may wait before the execution ends Expired. */
  expiresAfterSeconds: number;
}

export function approvalOf(
  request: Pick<OnboardingRequest, 'profile' | 'requestId'>,
  config: OnboardingConfig,
): ApprovalNeed {
  const profile = profileOf(request, config);
  return profile.privileged
    ? {
        required: true,
        approvers: [...profile.approvers],
        expiresAfterSeconds: config.approval.expiresAfterSeconds,
      }
    : { required: false, approvers: [], expiresAfterSeconds: config.approval.expiresAfterSeconds };
}

/**
 * A privileged profile's approver must be another identity than the requester: without a `requestedBy`
 * nobody could tell a self-approval, so the request is refused before anything is created.
 */
export function checkRequester(request: OnboardingRequest, profile: Profile): void {
  if (!profile.privileged || request.requestedBy !== undefined) return;
  const message = `profile "${request.profile}" is privileged: its approver must be someone other than the requester, so the request must say who asked; add "requestedBy": "<the requester's identity, e.g. their e-mail>"; nothing was created`;
  throw new InvalidRequestError(`invalid onboarding request: requestedBy: ${message}`, [
    { path: 'requestedBy', message },
  ]);
}

/**
 * The full check made by ValidateRequest, the HTTP API and the CLI: schema, allowlists, the hand-over
 * and, for a privileged profile, who asked. A privileged request is accepted: the execution waits for
 * its approval (AwaitApproval) before anything is read or created.
 */
export function validateRequest(input: unknown, config: OnboardingConfig): OnboardingRequest {
  const request = parseRequest(input);
  const profile = checkAllowed(request, config);
  checkRequester(request, profile);
  checkHandOver(request, profile);
  // Duplicates are harmless to IAM but would make the plan list a resource twice.
  return { ...request, policyArns: [...new Set(request.policyArns)] };
}
