import { randomBytes } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import {
  boundaryArn,
  boundaryPolicyName,
  CONTAIN_POLICY,
  configuredGroupPolicyArns,
  configuredUserPolicyArns,
  type OnboardingConfig,
  SELF_SERVICE_POLICY,
} from './config.ts';
import type { PolicyDocument } from './deploy/roles.ts';

/**
 * `onboard bootstrap`: prepares an account for onboardings where no deployed stack owns what they
 * need (`onboard emulator`, moto, LocalStack, or a real account used with `--aws` before a deploy).
 * It creates or updates the permissions boundaries and the self-service policy, creates the HTTP API's secrets when missing, and
 * checks what it cannot create: the AWS managed policies the profiles allow. Run twice, it writes
 * nothing the second time.
 */

/** The calls bootstrap makes, as domain verbs (the SDK implementation is src/gateways/account-setup.ts). */
export interface AccountSetup {
  /** The policy's default version's document, or undefined when there is no such policy. */
  policyDocument(arn: string): Promise<PolicyDocument | undefined>;
  policyExists(arn: string): Promise<boolean>;
  createPolicy(input: {
    name: string;
    path: string;
    document: PolicyDocument;
    description: string;
  }): Promise<void>;
  /** A new default version; the oldest non-default one is deleted first when IAM's five are used. */
  updatePolicy(arn: string, document: PolicyDocument): Promise<void>;
  secretExists(name: string): Promise<boolean>;
  createSecret(input: { name: string; value: string; description: string }): Promise<void>;
}

export type BootstrapAction = 'created' | 'updated' | 'unchanged' | 'present' | 'missing';

export interface BootstrapLine {
  kind: 'boundary' | 'self-service policy' | 'offboarding deny-all' | 'secret' | 'managed policy';
  name: string;
  action: BootstrapAction;
  /** What to do next (a missing managed policy), or how to read a secret's value. */
  note?: string;
}

export interface BootstrapReport {
  lines: BootstrapLine[];
  /** Something bootstrap cannot create is missing: onboardings that need it will fail at Plan. */
  incomplete: boolean;
}

/** The HTTP API's three secrets, with what each is for. */
export function apiSecrets(config: OnboardingConfig): { name: string; description: string }[] {
  return [
    {
      name: config.api.webhookSecretName,
      description: 'HMAC key ticketing tools sign webhook requests with',
    },
    { name: config.api.apiTokenSecretName, description: 'bearer token of the HTTP API (Jira Automation)' },
    { name: config.api.callbackSecretName, description: 'HMAC key the completion callbacks are signed with' },
  ];
}

/** How an operator reads a secret's value once (never printed by bootstrap itself). */
export const readSecretCommand = (name: string) =>
  `aws secretsmanager get-secret-value --secret-id ${name} --query SecretString --output text`;

export async function bootstrapAccount(
  setup: AccountSetup,
  config: OnboardingConfig,
  options: {
    iamArnPrefix: string;
    /** The boundaries' documents for this configuration (src/deploy/roles.ts resolveBoundaries). */
    boundaries: Record<string, PolicyDocument>;
    /** The self-service policy every user gets (src/deploy/roles.ts resolveSelfService). */
    selfService: PolicyDocument;
    /** The offboarding's deny-all (src/deploy/roles.ts resolveContain). */
    contain: PolicyDocument;
    /** The API's secrets: not for a stack whose HTTP API is not used (the embedded one). */
    secrets: boolean;
    /** Tells what happens as it happens: each line is printed as soon as it is known. */
    onLine?: (line: BootstrapLine) => void;
  },
): Promise<BootstrapReport> {
  const lines: BootstrapLine[] = [];
  const say = (line: BootstrapLine) => {
    lines.push(line);
    options.onLine?.(line);
  };

  const customerManaged = [
    ...Object.entries(options.boundaries).map(([name, document]) => ({
      name,
      document,
      kind: 'boundary' as const,
      file: `config/boundaries/${name}.json`,
      description: `Permissions boundary ${name} of iam-onboarding (config/boundaries/${name}.json)`,
    })),
    {
      name: SELF_SERVICE_POLICY,
      document: options.selfService,
      kind: 'self-service policy' as const,
      file: `config/policies/${SELF_SERVICE_POLICY}.json`,
      description: `Self-service of every user iam-onboarding creates: own password, own MFA device, own credentials secret (config/policies/${SELF_SERVICE_POLICY}.json)`,
    },
    {
      name: CONTAIN_POLICY,
      document: options.contain,
      kind: 'offboarding deny-all' as const,
      file: `config/policies/${CONTAIN_POLICY}.json`,
      description: `Deny-all an iam-onboarding offboarding attaches to contain a leaver (config/policies/${CONTAIN_POLICY}.json)`,
    },
  ];
  for (const { name, document, kind, file, description } of customerManaged) {
    const arn = boundaryArn(config, options.iamArnPrefix, name);
    const current = await setup.policyDocument(arn);
    if (!current) {
      await setup.createPolicy({
        name: boundaryPolicyName(config, name),
        path: config.boundaries.path,
        document,
        description,
      });
      say({ kind, name: arn, action: 'created' });
    } else if (canonicalJson(current) !== canonicalJson(document)) {
      await setup.updatePolicy(arn, document);
      say({ kind, name: arn, action: 'updated', note: `now ${file}` });
    } else {
      say({ kind, name: arn, action: 'unchanged' });
    }
  }

  if (options.secrets) {
    for (const secret of apiSecrets(config)) {
      if (await setup.secretExists(secret.name)) {
        say({ kind: 'secret', name: secret.name, action: 'unchanged', note: readSecretCommand(secret.name) });
        continue;
      }
      await setup.createSecret({
        name: secret.name,
        // 32 random bytes: the API compares them in constant time; never printed here.
        value: randomBytes(32).toString('base64'),
        description: `iam-onboarding: ${secret.description}`,
      });
      say({ kind: 'secret', name: secret.name, action: 'created', note: readSecretCommand(secret.name) });
    }
  }

  let incomplete = false;
  const managed = [...new Set([...configuredGroupPolicyArns(config), ...configuredUserPolicyArns(config)])];
  for (const arn of managed.sort()) {
    if (await setup.policyExists(arn)) {
      say({ kind: 'managed policy', name: arn, action: 'present' });
      continue;
    }
    incomplete = true;
    say({
      kind: 'managed policy',
      name: arn,
      action: 'missing',
      note: 'bootstrap cannot create it: check the ARN in config/onboarding.json, or the emulator/account',
    });
  }
  return { lines, incomplete };
}
