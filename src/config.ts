import * as z from 'zod/mini';
import { InvalidConfigurationError, InvalidRequestError } from './errors.ts';
import { SECRET_NAME_CHARS, USER_NAME_CHARS, USER_NAME_CHARS_MESSAGE } from './request.ts';

/**
 * What may be granted, and where things go. Edited in one place (`config/onboarding.json`), handed to
 * every Lambda as `ONBOARDING_CONFIG`, and parsed here once, at the edge.
 */

const iamPath = z
  .string()
  .check(
    z.maxLength(512),
    z.regex(/^\/$|^\/[\u0021-\u007E]+\/$/, 'must be "/" or start and end with "/" (printable ASCII)'),
  );
const iamName = (max: number) =>
  z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(max),
      z.regex(/^[\w+=,.@-]+$/, 'may only contain letters, digits and + = , . @ _ -'),
    );

const policyArn = z
  .string()
  .check(z.regex(/^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/, 'must be an IAM policy ARN'));
const servicePrincipal = z
  .string()
  .check(
    z.regex(/^[a-z0-9.-]+\.amazonaws\.com$/, 'must be a service principal like "elasticache.amazonaws.com"'),
  );

/** A profile's or a boundary's name: it names a file (config/boundaries/<name>.json) and a ticket form's option. */
export const PROFILE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const PROFILE_NAME_MESSAGE = '1-64 lower-case letters, digits and "-", starting with a letter or digit';
const profileName = z.string().check(z.regex(PROFILE_NAME, PROFILE_NAME_MESSAGE));

/**
 * A job function: the group its members join and the managed policies that group carries (configuration,
 * never a hire's request), the service-linked roles it needs, the credentials it gets, the permissions
 * boundary its users are created under, whether it is privileged, and the extra managed policies a
 * request may attach to one user of it.
 */
/** 72 hours: a privileged request waits this long for an approver by default. */
export const DEFAULT_APPROVAL_SECONDS = 259_200;
/** 7 days: the state machine's TimeoutSeconds covers this wait plus the saga itself. */
export const MAX_APPROVAL_SECONDS = 604_800;

export const profileSchema = z.strictObject({
  description: z._default(z.string().check(z.maxLength(500)), ''),
  group: iamName(128),
  /** What the group carries. A group shared by several profiles carries the same set in each. */
  groupPolicyArns: z.array(policyArn).check(z.maxLength(10, 'a group carries at most 10 managed policies')),
  serviceLinkedRoles: z._default(z.array(servicePrincipal), []),
  /**
   * What the member gets to sign in with. `console`: a login profile with a one-time password (reset at
   * first sign-in, MFA enforced by the boundary), handed over encrypted to the hire's own key. `accessKey`:
   * a long-lived key (off by default: `aws login` gives a console user short-lived CLI credentials),
   * handed over encrypted to the hire's key (`recipient`), or kept in the member's own Secrets Manager
   * secret (`secrets-manager`, only with console access: they read it after their first MFA sign-in).
   */
  credentials: z._default(
    z.strictObject({
      console: z._default(z.boolean(), true),
      accessKey: z._default(z.boolean(), false),
      accessKeyDelivery: z._default(z.enum(['recipient', 'secrets-manager']), 'recipient'),
    }),
    { console: true, accessKey: false, accessKeyDelivery: 'recipient' },
  ),
  /**
   * The file `config/boundaries/<name>.json` whose document caps every user of the profile; `null` says,
   * explicitly, that its users have none, which only a privileged profile may say.
   */
  boundary: z.nullable(z.string().check(z.regex(PROFILE_NAME, PROFILE_NAME_MESSAGE))),
  /**
   * A privileged profile waits for an approval before anything is created: by one of its `approvers`,
   * never the request's own `requestedBy`.
   */
  privileged: z.boolean(),
  /**
   * Who may approve a request for this profile: identities as the ticketing tool names them (e-mail
   * addresses, principal ids). Required, and only meaningful, on a privileged profile.
   */
  approvers: z._default(
    z
      .array(
        z
          .string()
          .check(
            z.minLength(1),
            z.maxLength(256),
            z.regex(/^[^\s,;]+$/, 'an identity: no white space, comma or semicolon (e.g. an e-mail address)'),
          ),
      )
      .check(z.maxLength(50, 'at most 50 approvers')),
    [],
  ),
  /** The managed policies a request may add to one user of this profile (attached to the user). */
  userPolicyArns: z._default(z.array(policyArn).check(z.maxLength(10)), []),
});
export type Profile = z.infer<typeof profileSchema>;

export const onboardingConfigSchema = z.strictObject({
  /** Where an editor finds the JSON Schema of this file (schema/onboarding-config.schema.json). */
  $schema: z.optional(z.string()),
  userPath: iamPath,
  groupPath: iamPath,
  secretPrefix: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(200),
      z.regex(/^[\w/+=.@-]+\/$/, 'must end with "/" and use only letters, digits and / _ + = . @ -'),
    ),
  /** Where the boundaries' managed policies live: `<path><namePrefix><boundary>`, one per boundary file. */
  boundaries: z.strictObject({ path: iamPath, namePrefix: z._default(iamName(64), 'iam-onboarding-') }),
  profiles: z.record(profileName, profileSchema),
  /** The approval gate of the privileged profiles. */
  approval: z._default(
    z.strictObject({
      /**
       * How long an approval may wait, in seconds (default 72 h): then the execution ends `Expired`,
       * nothing created. At most 7 days, which the state machine's own timeout leaves room for.
       */
      expiresAfterSeconds: z._default(
        z.number().check(z.int(), z.minimum(1), z.maximum(MAX_APPROVAL_SECONDS)),
        DEFAULT_APPROVAL_SECONDS,
      ),
    }),
    { expiresAfterSeconds: DEFAULT_APPROVAL_SECONDS },
  ),
  /** The HTTP API for ticketing tools and the completion callback; every key has a safe default. */
  api: z._default(
    z.strictObject({
      /**
       * Hosts the completion callback may be sent to, per stage (`sls:stage`; `local` is `onboard
       * serve`): exact names, compared case-insensitively. Deployed stages call them over https on 443
       * only, and only when they resolve to public addresses; loopback over http is for `local` alone.
       */
      callbackAllowedHosts: z._default(
        z.record(
          z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'a stage name (letters, digits, "-")')),
          z.array(
            z
              .string()
              .check(
                z.regex(
                  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i,
                  'must be a host name or an IPv4 address (no scheme, port or path)',
                ),
              ),
          ),
        ),
        {},
      ),
      /** How old (or how far ahead) a signed request's timestamp may be, in seconds. */
      replayWindowSeconds: z._default(z.number().check(z.int(), z.minimum(30), z.maximum(3600)), 300),
      /** The largest request body accepted, in bytes. */
      maxBodyBytes: z._default(z.number().check(z.int(), z.minimum(1024), z.maximum(262_144)), 16_384),
      /** How long a container keeps the secrets it read from Secrets Manager, in seconds. */
      secretCacheSeconds: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(3600)), 60),
      /** Attempts (the first included) and per-attempt timeout of the completion callback. */
      callbackMaxAttempts: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(10)), 5),
      callbackTimeoutSeconds: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(30)), 5),
      /** Secrets Manager names of the HMAC secret, the bearer token and the callback signing secret. */
      webhookSecretName: z._default(z.string().check(z.minLength(1)), 'iam-onboarding/webhook-hmac'),
      apiTokenSecretName: z._default(z.string().check(z.minLength(1)), 'iam-onboarding/api-token'),
      callbackSecretName: z._default(z.string().check(z.minLength(1)), 'iam-onboarding/callback-hmac'),
      /**
       * Whether the deployed stack creates those three secrets itself, with generated values
       * (AWS::SecretsManager::Secret): `serverless deploy` then needs no manual step. False when they
       * exist already (made by `onboard bootstrap` or by hand): CloudFormation refuses to create a
       * secret whose name is taken.
       */
      stackOwnsSecrets: z._default(z.boolean(), true),
    }),
    {
      callbackAllowedHosts: {},
      replayWindowSeconds: 300,
      maxBodyBytes: 16_384,
      secretCacheSeconds: 60,
      callbackMaxAttempts: 5,
      callbackTimeoutSeconds: 5,
      webhookSecretName: 'iam-onboarding/webhook-hmac',
      apiTokenSecretName: 'iam-onboarding/api-token',
      callbackSecretName: 'iam-onboarding/callback-hmac',
      stackOwnsSecrets: true,
    },
  ),
});

export type OnboardingConfig = z.infer<typeof onboardingConfigSchema>;

/** The config as a Lambda sees it: the file plus what only the deployment knows. */
export interface RuntimeConfig extends OnboardingConfig {
  /** `arn:<partition>:iam::<account>:`: the boundaries' ARNs are built from it and the configuration. */
  iamArnPrefix: string;
  /**
   * The deployment stage (`sls:stage`): picks `api.callbackAllowedHosts.<stage>`. Always set by
   * runtimeConfigFromEnv, and `local` by the in-process local stack.
   */
  stage?: string;
}

export const STAGE_ENV = 'ONBOARDING_STAGE';

/** The callback policy of a stage: its allowed hosts (none when the stage has no entry). */
export function callbackPolicyOf(
  config: Pick<OnboardingConfig, 'api'>,
  stage: string,
): { stage: string; allowedHosts: readonly string[] } {
  return { stage, allowedHosts: [...(config.api.callbackAllowedHosts[stage] ?? [])] };
}

/** The configuration with more callback hosts for one stage (`onboard serve --callback-host`). */
export function withCallbackHosts<C extends Pick<OnboardingConfig, 'api'>>(
  config: C,
  stage: string,
  extraHosts: readonly string[],
): C {
  if (extraHosts.length === 0) return config;
  const hosts = config.api.callbackAllowedHosts;
  return {
    ...config,
    api: {
      ...config.api,
      callbackAllowedHosts: { ...hosts, [stage]: [...(hosts[stage] ?? []), ...extraHosts] },
    },
  };
}

export const CONFIG_ENV = 'ONBOARDING_CONFIG';
export const IAM_ARN_PREFIX_ENV = 'ONBOARDING_IAM_ARN_PREFIX';

interface ConfigIssue {
  path: readonly PropertyKey[];
  message: string;
}

function describeIssues(error: { issues: readonly ConfigIssue[] }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** What the schema cannot say of one key alone: rules between profiles, and what a boundary-less profile must be. */
function profileIssues(config: OnboardingConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const names = Object.keys(config.profiles);
  if (names.length === 0) issues.push({ path: ['profiles'], message: 'at least one profile is needed' });
  const byGroup = new Map<string, string>();
  for (const name of names) {
    const profile = config.profiles[name] as Profile;
    if (profile.boundary === CONTAIN_POLICY) {
      issues.push({
        path: ['profiles', name, 'boundary'],
        message: `"${CONTAIN_POLICY}" is the name of the offboarding's deny-all (config/policies/${CONTAIN_POLICY}.json), not a boundary: rename config/boundaries/${CONTAIN_POLICY}.json and this key`,
      });
    }
    if (profile.boundary === SELF_SERVICE_POLICY) {
      issues.push({
        path: ['profiles', name, 'boundary'],
        message: `"${SELF_SERVICE_POLICY}" is the name of the self-service policy every user gets (config/policies/${SELF_SERVICE_POLICY}.json), not a boundary: rename config/boundaries/${SELF_SERVICE_POLICY}.json and this key`,
      });
    }
    if (profile.boundary === null && !profile.privileged) {
      issues.push({
        path: ['profiles', name, 'boundary'],
        message:
          'null (no permissions boundary) is only allowed for a privileged profile: set "privileged": true, or name a file of config/boundaries/',
      });
    }
    if (profile.privileged && profile.approvers.length === 0) {
      issues.push({
        path: ['profiles', name, 'approvers'],
        message:
          'a privileged profile needs at least one approver (identities as the ticketing tool names them, e.g. ["alice@example.com"]): nobody could approve its requests',
      });
    }
    if (!profile.privileged && profile.approvers.length > 0) {
      issues.push({
        path: ['profiles', name, 'approvers'],
        message: 'only a privileged profile is approved: remove "approvers", or set "privileged": true',
      });
    }
    const duplicates = profile.approvers.filter((a, i) => profile.approvers.indexOf(a) !== i);
    if (duplicates.length > 0) {
      issues.push({
        path: ['profiles', name, 'approvers'],
        message: `${[...new Set(duplicates)].join(', ')} is listed twice`,
      });
    }
    const other = byGroup.get(profile.group);
    if (other !== undefined) {
      const first = config.profiles[other] as Profile;
      if (!sameSet(first.groupPolicyArns, profile.groupPolicyArns)) {
        issues.push({
          path: ['profiles', name, 'groupPolicyArns'],
          message: `group "${profile.group}" is also the group of profile "${other}", with other policies: a shared group carries one set of policies (make them equal, or use another group)`,
        });
      }
    } else {
      byGroup.set(profile.group, name);
    }
    const { credentials } = profile;
    if (!credentials.console && !credentials.accessKey) {
      issues.push({
        path: ['profiles', name, 'credentials'],
        message:
          'gives no way in (console and accessKey both false): set "console": true (the default), or "accessKey": true',
      });
    }
    if (
      credentials.accessKey &&
      credentials.accessKeyDelivery === 'secrets-manager' &&
      !credentials.console
    ) {
      issues.push({
        path: ['profiles', name, 'credentials', 'accessKeyDelivery'],
        message:
          '"secrets-manager" without console access: the member could never sign in to read the secret, so nobody could; set "console": true, or "accessKeyDelivery": "recipient"',
      });
    }
    const dupes = profile.userPolicyArns.filter((arn) => profile.groupPolicyArns.includes(arn));
    if (dupes.length > 0) {
      issues.push({
        path: ['profiles', name, 'userPolicyArns'],
        message: `${dupes.join(', ')} is carried by the group already: list it in one of the two`,
      });
    }
  }
  return issues;
}

export function parseOnboardingConfig(value: unknown, source: string): OnboardingConfig {
  const parsed = onboardingConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidConfigurationError(`${source} is invalid: ${describeIssues(parsed.error)}`);
  }
  const issues = profileIssues(parsed.data);
  if (issues.length > 0) {
    throw new InvalidConfigurationError(`${source} is invalid: ${describeIssues({ issues })}`);
  }
  return parsed.data;
}

/** Reads the runtime configuration from the environment; fails fast naming the missing or bad key. */
export function runtimeConfigFromEnv(env: NodeJS.ProcessEnv): RuntimeConfig & { stage: string } {
  const raw = env[CONFIG_ENV];
  if (!raw)
    throw new InvalidConfigurationError(`${CONFIG_ENV} is not set (the JSON of config/onboarding.json)`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidConfigurationError(`${CONFIG_ENV} is not valid JSON`);
  }
  const config = parseOnboardingConfig(json, CONFIG_ENV);
  const prefix = env[IAM_ARN_PREFIX_ENV];
  if (!prefix)
    throw new InvalidConfigurationError(
      `${IAM_ARN_PREFIX_ENV} is not set (arn:<partition>:iam::<account>:, the account the boundaries are in)`,
    );
  if (!/^arn:aws[\w-]*:iam::\d{12}:$/.test(prefix)) {
    throw new InvalidConfigurationError(
      `${IAM_ARN_PREFIX_ENV} is not of the form arn:<partition>:iam::<account>: (${prefix})`,
    );
  }
  const stage = env[STAGE_ENV];
  if (!stage)
    throw new InvalidConfigurationError(`${STAGE_ENV} is not set (the deployment stage, sls:stage)`);
  // The local stack's stage allows loopback over http: never in a Lambda.
  if (stage === 'local' && env.AWS_LAMBDA_FUNCTION_NAME) {
    throw new InvalidConfigurationError(
      `${STAGE_ENV} is "local", which is for the local stack only; deploy another stage`,
    );
  }
  return { ...config, iamArnPrefix: prefix, stage };
}

export const STATE_MACHINE_ARN_ENV = 'ONBOARDING_STATE_MACHINE_ARN';

/** The ARN of this stack's own state machine: the tasks check that they are invoked by its executions. */
export function stateMachineArnFromEnv(env: NodeJS.ProcessEnv): string {
  const arn = env[STATE_MACHINE_ARN_ENV];
  if (!arn) {
    throw new InvalidConfigurationError(
      `${STATE_MACHINE_ARN_ENV} is not set (this stack's state machine ARN)`,
    );
  }
  if (!/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]{1,80}$/.test(arn)) {
    throw new InvalidConfigurationError(`${STATE_MACHINE_ARN_ENV} is not a state machine ARN: ${arn}`);
  }
  return arn;
}

export const iamArnPrefixOf = (accountId: string, partition = 'aws') => `arn:${partition}:iam::${accountId}:`;

/** The managed policy's name of a boundary file. */
export function boundaryPolicyName(config: Pick<OnboardingConfig, 'boundaries'>, boundary: string): string {
  return `${config.boundaries.namePrefix}${boundary}`;
}

export function boundaryArn(
  config: Pick<OnboardingConfig, 'boundaries'>,
  iamArnPrefix: string,
  boundary: string,
): string {
  return `${iamArnPrefix}policy${config.boundaries.path}${boundaryPolicyName(config, boundary)}`;
}

/**
 * The customer-managed policy every onboarded user gets (config/policies/self-service.json): change
 * their own password, enrol and manage their own MFA device, get an MFA session for a key, read their
 * own credentials secret. A boundary only caps; without this identity policy nothing would grant the
 * first sign-in's password change or MFA enrolment. It lives beside the boundaries
 * (`<boundaries.path><namePrefix>self-service`), so no boundary may take its name.
 */
export const SELF_SERVICE_POLICY = 'self-service';

/**
 * The customer-managed deny-all an offboarding attaches to a leaver (config/policies/offboarding-contain.json):
 * a managed policy, not an inline one, so that Contain's role may attach exactly this policy and no
 * role may write a user's inline policy (which IAM cannot limit to a Deny). Beside the boundaries.
 */
export const CONTAIN_POLICY = 'offboarding-contain';

export function containPolicyArn(config: Pick<OnboardingConfig, 'boundaries'>, iamArnPrefix: string): string {
  return boundaryArn(config, iamArnPrefix, CONTAIN_POLICY);
}

export function selfServicePolicyArn(
  config: Pick<OnboardingConfig, 'boundaries'>,
  iamArnPrefix: string,
): string {
  return boundaryArn(config, iamArnPrefix, SELF_SERVICE_POLICY);
}

/** Every boundary some profile names, once each. */
export function boundaryNames(config: Pick<OnboardingConfig, 'profiles'>): string[] {
  return [
    ...new Set(Object.values(config.profiles).flatMap((p) => (p.boundary === null ? [] : [p.boundary]))),
  ].sort();
}

/** The groups of all profiles, once each: the only groups the roles may touch. */
export function configuredGroups(config: Pick<OnboardingConfig, 'profiles'>): string[] {
  return [...new Set(Object.values(config.profiles).map((p) => p.group))].sort();
}

export function configuredGroupPolicyArns(config: Pick<OnboardingConfig, 'profiles'>): string[] {
  return [...new Set(Object.values(config.profiles).flatMap((p) => p.groupPolicyArns))].sort();
}

export function configuredUserPolicyArns(config: Pick<OnboardingConfig, 'profiles'>): string[] {
  return [...new Set(Object.values(config.profiles).flatMap((p) => p.userPolicyArns))].sort();
}

export function configuredServiceLinkedRoles(config: Pick<OnboardingConfig, 'profiles'>): string[] {
  return [...new Set(Object.values(config.profiles).flatMap((p) => p.serviceLinkedRoles))].sort();
}

/** The environment a Lambda needs, built from the config file: what serverless.yml does on deploy. */
export function configEnv(
  config: OnboardingConfig,
  accountId: string,
  stateMachineArn?: string,
): Record<string, string> {
  return {
    [CONFIG_ENV]: JSON.stringify(config),
    [IAM_ARN_PREFIX_ENV]: iamArnPrefixOf(accountId),
    [STAGE_ENV]: 'local',
    ...(stateMachineArn ? { [STATE_MACHINE_ARN_ENV]: stateMachineArn } : {}),
  };
}

export function secretNameFor(config: OnboardingConfig, userName: string): string {
  // The request schema's user-name rule (USER_NAME_CHARS) keeps this true; checked here too, so that a
  // name that slipped past it fails before anything is created, not at CreateSecret.
  if (!USER_NAME_CHARS.test(userName)) {
    throw new InvalidRequestError(`invalid onboarding request: userName: ${USER_NAME_CHARS_MESSAGE}`, [
      { path: 'userName', message: USER_NAME_CHARS_MESSAGE },
    ]);
  }
  const name = `${config.secretPrefix}${userName}/access-key`;
  if (!SECRET_NAME_CHARS.test(name) || name.length > 512) {
    throw new InvalidConfigurationError(`secret name ${name} is not a valid Secrets Manager name`);
  }
  return name;
}
