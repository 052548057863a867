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

export const onboardingConfigSchema = z.strictObject({
  userPath: iamPath,
  groupPath: iamPath,
  secretPrefix: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(200),
      z.regex(/^[\w/+=.@-]+\/$/, 'must end with "/" and use only letters, digits and / _ + = . @ -'),
    ),
  permissionsBoundary: z.strictObject({ name: iamName(128), path: iamPath }),
  allowedGroups: z.array(iamName(128)).check(z.minLength(1)),
  allowedPolicyArns: z
    .array(z.string().check(z.regex(/^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/)))
    .check(z.minLength(1)),
  allowedServiceLinkedRoles: z.array(z.string().check(z.regex(/^[a-z0-9.-]+\.amazonaws\.com$/))),
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
    },
  ),
});

export type OnboardingConfig = z.infer<typeof onboardingConfigSchema>;

/** The config as a Lambda sees it: the file plus what only the deployment knows. */
export interface RuntimeConfig extends OnboardingConfig {
  permissionsBoundaryArn: string;
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
export const BOUNDARY_ENV = 'ONBOARDING_PERMISSIONS_BOUNDARY_ARN';

function describeIssues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

export function parseOnboardingConfig(value: unknown, source: string): OnboardingConfig {
  const parsed = onboardingConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidConfigurationError(`${source} is invalid: ${describeIssues(parsed.error)}`);
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
  const boundary = env[BOUNDARY_ENV];
  if (!boundary)
    throw new InvalidConfigurationError(`${BOUNDARY_ENV} is not set (the permissions boundary's ARN)`);
  if (!/^arn:aws[\w-]*:iam::\d{12}:policy\/[\w+=,.@/-]+$/.test(boundary)) {
    throw new InvalidConfigurationError(`${BOUNDARY_ENV} is not a customer managed policy ARN: ${boundary}`);
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
  return { ...config, permissionsBoundaryArn: boundary, stage };
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

export function boundaryArn(config: OnboardingConfig, accountId: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:policy${config.permissionsBoundary.path}${config.permissionsBoundary.name}`;
}

/** The environment a Lambda needs, built from the config file: what serverless.yml does on deploy. */
export function configEnv(
  config: OnboardingConfig,
  accountId: string,
  stateMachineArn?: string,
): Record<string, string> {
  return {
    [CONFIG_ENV]: JSON.stringify(config),
    [BOUNDARY_ENV]: boundaryArn(config, accountId),
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
