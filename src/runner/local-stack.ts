import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreatePolicyCommand, GetPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Emulator, EmulatorState, FaultSpec } from '@iam-onboarding/aws-emulator';
import { isAwsError } from '../aws/errors.ts';
import { boundaryArn, configEnv, type OnboardingConfig } from '../config.ts';
import { PROJECT_ROOT } from './definition.ts';

/**
 * Where an onboarding runs. With no AWS endpoint configured: the embedded emulator, started here and
 * stopped by whoever opened the stack - never a real account, whatever credentials the shell has.
 * With `AWS_ENDPOINT_URL_*` set: those endpoints (LocalStack, moto, an `onboard emulator`).
 * A real account only with the explicit `--aws` flag.
 */

export type StackMode = 'embedded' | 'endpoints' | 'aws';

export interface Stack {
  mode: StackMode;
  description: string;
  accountId: string;
  region: string;
  /** The environment the Lambda handlers run with (endpoints, region, configuration). */
  env: Record<string, string>;
  emulator?: Emulator;
  addFaults(faults: FaultSpec[]): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStackOptions {
  config: OnboardingConfig;
  aws?: boolean;
  /** Seed the embedded emulator from this state file (see `onboard emulator --state`). */
  emulatorState?: string;
  /** Where the embedded emulator listens, and the file it keeps its state in (`onboard serve`). */
  emulatorOptions?: { port?: number; host?: string; stateFile?: string };
  env?: NodeJS.ProcessEnv;
}

const SERVICE_ENDPOINT_VARS = [
  'AWS_ENDPOINT_URL_IAM',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_STS',
] as const;

export class StackError extends Error {
  override readonly name = 'StackError' as const;
}

export function configuredEndpoints(env: NodeJS.ProcessEnv): Record<string, string> {
  const found: Record<string, string> = {};
  for (const key of ['AWS_ENDPOINT_URL', ...SERVICE_ENDPOINT_VARS, 'AWS_ENDPOINT_URL_SFN']) {
    const value = env[key];
    if (value) found[key] = value;
  }
  return found;
}

/** Explicit credentials only where the stack brings them (the emulator's dummies); else the SDK's chain. */
function credentialsOf(env: Record<string, string | undefined>) {
  return env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } }
    : {};
}

async function accountOf(env: Record<string, string | undefined>): Promise<string> {
  const sts = new STSClient({
    region: env.AWS_REGION ?? 'us-east-1',
    maxAttempts: 2,
    ...(env.AWS_ENDPOINT_URL_STS ? { endpoint: env.AWS_ENDPOINT_URL_STS } : {}),
    ...credentialsOf(env),
  });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    if (!out.Account) throw new StackError('STS GetCallerIdentity answered without an account id');
    return out.Account;
  } catch (error) {
    if (error instanceof StackError) throw error;
    throw new StackError(`cannot reach STS to learn the account id: ${(error as Error).message}`);
  } finally {
    sts.destroy();
  }
}

/** The embedded account starts empty: give it the permissions boundary the deploy would create. */
async function seedBoundary(
  emulatorEnv: Record<string, string>,
  config: OnboardingConfig,
  accountId: string,
) {
  const iam = new IAMClient({
    region: emulatorEnv.AWS_REGION ?? 'us-east-1',
    endpoint: emulatorEnv.AWS_ENDPOINT_URL_IAM,
    ...credentialsOf(emulatorEnv),
  });
  try {
    const arn = boundaryArn(config, accountId);
    try {
      await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
      return;
    } catch (error) {
      if (!isAwsError(error, 'NoSuchEntity')) throw error;
    }
    const document = await readFile(join(PROJECT_ROOT, 'config', 'boundary-policy.json'), 'utf8');
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: config.permissionsBoundary.name,
        Path: config.permissionsBoundary.path,
        PolicyDocument: document,
        Description: 'Permissions boundary of onboarded users (seeded by the local stack)',
      }),
    );
  } finally {
    iam.destroy();
  }
}

export async function openStack(options: OpenStackOptions): Promise<Stack> {
  const env = options.env ?? process.env;
  const endpoints = configuredEndpoints(env);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';

  if (options.aws) {
    if (Object.keys(endpoints).length > 0) {
      throw new StackError(
        `--aws was given but endpoints are configured (${Object.keys(endpoints).join(', ')}); unset them`,
      );
    }
    const accountId = await accountOf({ AWS_REGION: region });
    const stackEnv = { AWS_REGION: region, ...configEnv(options.config, accountId) };
    return {
      mode: 'aws',
      description: `the AWS account ${accountId} (${region}) - real resources`,
      accountId,
      region,
      env: stackEnv,
      addFaults: async () => {
        throw new StackError(
          'fault flags only work on the embedded emulator or an `onboard emulator` endpoint',
        );
      },
      close: async () => undefined,
    };
  }

  if (Object.keys(endpoints).length > 0) {
    // A half-configured environment would send the other service's calls to a real account.
    const missing = SERVICE_ENDPOINT_VARS.filter((k) => !endpoints[k] && !endpoints.AWS_ENDPOINT_URL);
    if (missing.length > 0) {
      throw new StackError(
        `some AWS endpoints are configured but not ${missing.join(', ')}: set them too (or AWS_ENDPOINT_URL), ` +
          'so that no call goes to a real account by accident',
      );
    }
    const merged: Record<string, string> = { AWS_REGION: region };
    for (const key of SERVICE_ENDPOINT_VARS) {
      const value = endpoints[key] ?? endpoints.AWS_ENDPOINT_URL;
      if (value) merged[key] = value;
    }
    const accountId = await accountOf(merged);
    const iamEndpoint = merged.AWS_ENDPOINT_URL_IAM ?? '';
    return {
      mode: 'endpoints',
      description: `the configured endpoints (IAM ${iamEndpoint}, account ${accountId})`,
      accountId,
      region,
      env: { ...merged, ...configEnv(options.config, accountId) },
      addFaults: async (faults) => {
        for (const fault of faults) {
          const response = await fetch(new URL('/_emulator/faults', iamEndpoint), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(fault),
          }).catch(() => undefined);
          if (!response?.ok) {
            throw new StackError(
              `the endpoint ${iamEndpoint} does not take faults: fault flags need the iam-onboarding emulator`,
            );
          }
        }
      },
      close: async () => undefined,
    };
  }

  const { startEmulator } = await import('@iam-onboarding/aws-emulator');
  // A seed is read, never written back: a demo account file stays as it was.
  const seed = options.emulatorState
    ? { seed: JSON.parse(await readFile(options.emulatorState, 'utf8')) as EmulatorState }
    : {};
  const emulator = await startEmulator({ region, ...seed, ...options.emulatorOptions });
  try {
    const accountId = await accountOf(emulator.env);
    await seedBoundary(emulator.env, options.config, accountId);
    return {
      mode: 'embedded',
      description: `the embedded local stack (${emulator.endpoint}, account ${accountId})`,
      accountId,
      region,
      env: { ...emulator.env, AWS_ENDPOINT_URL: emulator.endpoint, ...configEnv(options.config, accountId) },
      emulator,
      addFaults: async (faults) => {
        for (const fault of faults) emulator.faults.add(fault);
      },
      close: () => emulator.stop(),
    };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}

/**
 * The handlers read their configuration and endpoints from the environment, as on Lambda. Credentials
 * are set only for the emulator (it does not check them); elsewhere the SDK's own chain is used.
 */
export function applyStackEnv(stack: Stack, env: NodeJS.ProcessEnv = process.env): void {
  if (stack.mode === 'embedded') {
    // The SDK prefers a named profile over the dummy keys: drop every way to real credentials.
    for (const name of REAL_CREDENTIAL_VARS) delete env[name];
  }
  Object.assign(env, stack.env);
}

const REAL_CREDENTIAL_VARS = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
];
