import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreatePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Emulator, EmulatorState, FaultSpec, JsonService } from '@iam-onboarding/aws-emulator';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { DynamoApprovalStore } from '../approvals/dynamodb.ts';
import { SDK_MAX_ATTEMPTS } from '../aws/clients.ts';
import { isAwsError } from '../aws/errors.ts';
import {
  boundaryPolicyName,
  CONTAIN_POLICY,
  configEnv,
  containPolicyArn,
  iamArnPrefixOf,
  type OnboardingConfig,
  type RuntimeConfig,
  SELF_SERVICE_POLICY,
} from '../config.ts';
import { type PolicyDocument, resolveManagedPolicies, resolveRoles } from '../deploy/roles.ts';
import { SdkExecutionVerifier } from '../gateways/executions.ts';
import { SdkIamGateway } from '../gateways/iam.ts';
import { SdkLeaverGateway } from '../gateways/leaver.ts';
import { SdkSecretStore } from '../gateways/secrets.ts';
import { sleep } from '../lambda/shared.ts';
import { DynamoLedger } from '../ledger/dynamodb.ts';
import { type EndedExecution, LEDGER_TABLE_ENV, type RecordResult, recordEnd } from '../ledger/items.ts';
import { ensureLedgerTable, ledgerTableInput } from '../ledger/table.ts';
import type { OffboardingTaskDeps } from '../offboarding/handlers.ts';
import { DynamoOffboardingStore } from '../offboarding/ledger.ts';
import type { TaskDeps } from '../steps/types.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from './ledger.ts';

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
  /**
   * What a shell needs to reach this stack (endpoints, region, and the configuration a Lambda gets),
   * for `onboard serve`'s export lines. Nothing here is ever written into this process's environment.
   */
  env: Record<string, string>;
  /** The configuration as the Lambdas see it (the boundary's ARN in this account included). */
  runtimeConfig: RuntimeConfig;
  /**
   * The local state machine's ARN. Its executions run here, whatever the account: the local Step
   * Functions API (on `sfnEndpoint`) serves them, and the tasks verify their events against it.
   */
  stateMachineArn: string;
  sfnEndpoint: string;
  /** Serves the local Step Functions API on `sfnEndpoint` (one per stack: src/local/onboarding.ts). */
  hostStepFunctions(service: JsonService): void;
  emulator?: Emulator;
  addFaults(faults: FaultSpec[]): Promise<void>;
  /**
   * SDK clients acting as `principal` (a function key, or a test's own name). On the local stacks each
   * principal signs with its own access key id (`local-<principal>`), so the emulator can tell who
   * called and scope faults to one function; on AWS the SDK's own credential chain is used.
   */
  clients(principal: string): {
    iam: IAMClient;
    secrets: SecretsManagerClient;
    sfn: SFNClient;
    dynamodb: DynamoDBClient;
  };
  /**
   * The ledger's DynamoDB (dynalite, started with the stack, unless AWS_ENDPOINT_URL_DYNAMODB names
   * another) and its table, created from serverless.yml's definition for the stage `local`.
   */
  ledgerTable: { endpoint: string; tableName: string };
  /** The ledger as `principal` writes it. */
  ledgerFor(principal: string): DynamoLedger;
  /**
   * Records an execution's end as the notifier does (every local execution's status change comes
   * here); `ledgerSettled` waits for the writes begun so far and throws the first that failed.
   */
  recordEnd(execution: EndedExecution): void;
  ledgerSettled(): Promise<RecordResult[]>;
  /** A task's dependencies, built once per principal and kept for the stack's life. */
  taskDeps(principal: string): TaskDeps;
  /** The offboarding state machine, served beside the onboarding one (src/local/onboarding.ts). */
  offboardingStateMachineArn: string;
  /** An offboarding task's dependencies, likewise. */
  offboardingDeps(principal: string): OffboardingTaskDeps;
  close(): Promise<void>;
}

/** How fast waits go: tests shorten the SDK's backoff and polls (same retry counts), users never. */
export interface StackTiming {
  sdkRetryDelayMs?: number;
  pollDelayMs?: number;
}

export interface OpenStackOptions {
  config: OnboardingConfig;
  aws?: boolean;
  /** Seed the embedded emulator from this state file (see `onboard emulator --state`). */
  emulatorState?: string;
  /** Where the embedded emulator listens, and the file it keeps its state in (`onboard serve`). */
  emulatorOptions?: { port?: number; host?: string; stateFile?: string };
  env?: NodeJS.ProcessEnv;
  timing?: StackTiming;
  /**
   * Evaluate every call against its caller's policies (the embedded emulator only): each function
   * signs as its role as serverless.yml defines it, an onboarded user as that user. On by default;
   * `onboard run --no-authorize` turns it off for debugging.
   */
  authorize?: boolean;
  /** Role documents by function key, instead of serverless.yml's (a test removing one statement). */
  roles?: Record<string, PolicyDocument>;
  /**
   * Principals that act as the account's operator, never evaluated (a test arranging and reading the
   * account). Any other principal that is not a function is refused while authorization is on.
   */
  operators?: string[];
}

const SERVICE_ENDPOINT_VARS = [
  'AWS_ENDPOINT_URL_IAM',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_STS',
] as const;
/** Optional: without it (or AWS_ENDPOINT_URL) the ledger is a dynalite of the stack's own. */
const DYNAMODB_ENDPOINT_VAR = 'AWS_ENDPOINT_URL_DYNAMODB';

export class StackError extends Error {
  override readonly name = 'StackError' as const;
}

export function configuredEndpoints(env: NodeJS.ProcessEnv): Record<string, string> {
  const found: Record<string, string> = {};
  for (const key of [
    'AWS_ENDPOINT_URL',
    ...SERVICE_ENDPOINT_VARS,
    'AWS_ENDPOINT_URL_SFN',
    DYNAMODB_ENDPOINT_VAR,
  ]) {
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

/**
 * The embedded account starts empty: give it the customer-managed policies the deploy would create (the
 * permissions boundaries and the self-service policy).
 */
async function seedManagedPolicies(emulatorEnv: Record<string, string>, config: OnboardingConfig) {
  const iam = new IAMClient({
    region: emulatorEnv.AWS_REGION ?? 'us-east-1',
    endpoint: emulatorEnv.AWS_ENDPOINT_URL_IAM,
    ...credentialsOf(emulatorEnv),
  });
  try {
    // The documents the deploy creates for this configuration (its user path and secret prefix in them).
    // Created straight away: a fresh account has none, and one a state file kept already holds them
    // (EntityAlreadyExists), which saves a GetPolicy round trip per policy on every stack.
    await Promise.all(
      Object.entries(resolveManagedPolicies(config)).map(async ([name, document]) => {
        try {
          await iam.send(
            new CreatePolicyCommand({
              PolicyName: boundaryPolicyName(config, name),
              Path: config.boundaries.path,
              PolicyDocument: JSON.stringify(document),
              Description:
                name === SELF_SERVICE_POLICY
                  ? 'Self-service of every onboarded user (seeded by the local stack)'
                  : name === CONTAIN_POLICY
                    ? "The offboarding's deny-all (seeded by the local stack)"
                    : `Permissions boundary ${name} (seeded by the local stack)`,
            }),
          );
        } catch (error) {
          if (!isAwsError(error, 'EntityAlreadyExists')) throw error;
        }
      }),
    );
  } finally {
    iam.destroy();
  }
}

type AwsCredentialIdentity = { accessKeyId: string; secretAccessKey: string };

interface Endpoints {
  iam?: string;
  secrets?: string;
  /** Always the local Step Functions API: executions run here. */
  sfn: string;
  /** The ledger's DynamoDB (the stack's dynalite, or AWS_ENDPOINT_URL_DYNAMODB). */
  dynamodb: string;
}

export const principalKeyId = (principal: string) => `local-${principal}`;

/** The state machine every local run executes (the deployed one is `<service>-<stage>`). */
export const LOCAL_STATE_MACHINE = 'iam-onboarding-local';
const LOCAL_STAGE = 'local';
export const localStateMachineArn = (region: string, accountId: string) =>
  `arn:aws:states:${region}:${accountId}:stateMachine:${LOCAL_STATE_MACHINE}`;
/** The offboarding state machine beside an onboarding one: its name and `-offboarding`, as deployed. */
export const offboardingArnOf = (onboardingArn: string) => `${onboardingArn}-offboarding`;
export const LOCAL_OFFBOARDING_STATE_MACHINE = `${LOCAL_STATE_MACHINE}-offboarding`;

/** Clients, task deps and their caches: the same for every mode, given its endpoints and credentials. */
function clientFactory(
  region: string,
  endpoints: Endpoints,
  credentialsFor: (principal: string) => AwsCredentialIdentity | undefined,
  config: RuntimeConfig,
  stateMachineArn: string,
  timing: StackTiming = {},
  ledgerTableName: string,
  /** For a DynamoDB of the stack's own (dynalite): never the shell's real credentials. */
  ledgerCredentials?: (principal: string) => AwsCredentialIdentity,
): Pick<Stack, 'clients' | 'taskDeps' | 'ledgerFor' | 'offboardingDeps' | 'offboardingStateMachineArn'> & {
  destroy(): void;
} {
  const retry =
    timing.sdkRetryDelayMs !== undefined
      ? { retryStrategy: new ConfiguredRetryStrategy(SDK_MAX_ATTEMPTS, () => timing.sdkRetryDelayMs ?? 0) }
      : {};
  const base = (principal: string) => {
    const credentials = credentialsFor(principal);
    return {
      region,
      maxAttempts: SDK_MAX_ATTEMPTS,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000 },
      ...retry,
      ...(credentials ? { credentials } : {}),
    };
  };
  const clients = new Map<string, ReturnType<Stack['clients']>>();
  const dynamoClients = new Map<string, DynamoDBClient>();
  const deps = new Map<string, TaskDeps>();
  const leaverDeps = new Map<string, OffboardingTaskDeps>();
  const offboardingStateMachineArn = offboardingArnOf(stateMachineArn);
  const ledgers = new Map<string, DynamoLedger>();
  const dynamoOf = (principal: string) => {
    let found = dynamoClients.get(principal);
    if (!found) {
      found = new DynamoDBClient({
        ...base(principal),
        ...(ledgerCredentials ? { credentials: ledgerCredentials(principal) } : {}),
        endpoint: endpoints.dynamodb,
      });
      dynamoClients.set(principal, found);
    }
    return found;
  };
  const clientsOf = (principal: string) => {
    let found = clients.get(principal);
    if (!found) {
      found = {
        iam: new IAMClient({ ...base(principal), ...(endpoints.iam ? { endpoint: endpoints.iam } : {}) }),
        secrets: new SecretsManagerClient({
          ...base(principal),
          ...(endpoints.secrets ? { endpoint: endpoints.secrets } : {}),
        }),
        // The local executions' API, whatever account the other services reach: local key ids.
        sfn: new SFNClient({
          ...base(principal),
          credentials: localCredentials(principal),
          endpoint: endpoints.sfn,
        }),
        // Built when first used: most principals never touch the ledger, and a client is not free.
        get dynamodb() {
          return dynamoOf(principal);
        },
      };
      clients.set(principal, found);
    }
    return found;
  };
  const pollSleep =
    timing.pollDelayMs !== undefined ? (ms: number) => sleep(Math.min(ms, timing.pollDelayMs ?? ms)) : sleep;
  return {
    clients: clientsOf,
    ledgerFor: (principal) => {
      let found = ledgers.get(principal);
      if (!found) {
        found = new DynamoLedger(dynamoOf(principal), ledgerTableName);
        ledgers.set(principal, found);
      }
      return found;
    },
    destroy: () => {
      for (const c of clients.values()) {
        c.iam.destroy();
        c.secrets.destroy();
        c.sfn.destroy();
      }
      for (const c of dynamoClients.values()) c.destroy();
      clients.clear();
      dynamoClients.clear();
      deps.clear();
      leaverDeps.clear();
      ledgers.clear();
    },
    offboardingStateMachineArn,
    offboardingDeps: (principal) => {
      let found = leaverDeps.get(principal);
      if (!found) {
        const c = clientsOf(principal);
        let offboardings: DynamoOffboardingStore | undefined;
        found = {
          leaver: new SdkLeaverGateway(c.iam),
          secrets: new SdkSecretStore(c.secrets),
          executions: new SdkExecutionVerifier(c.sfn, offboardingStateMachineArn),
          onboardingStateMachineArn: stateMachineArn,
          containPolicyArn: containPolicyArn(config, config.iamArnPrefix),
          userPath: config.userPath,
          config,
          sleep: pollSleep,
          get offboardings() {
            offboardings ??= new DynamoOffboardingStore(dynamoOf(principal), ledgerTableName);
            return offboardings;
          },
        };
        leaverDeps.set(principal, found);
      }
      return found;
    },
    taskDeps: (principal) => {
      let found = deps.get(principal);
      if (!found) {
        const c = clientsOf(principal);
        let approvals: DynamoApprovalStore | undefined;
        found = {
          iam: new SdkIamGateway(c.iam),
          secrets: new SdkSecretStore(c.secrets),
          executions: new SdkExecutionVerifier(c.sfn, stateMachineArn),
          config,
          sleep: pollSleep,
          // The ledger's approvals, as serverless.yml gives Plan and AwaitApproval the table: built on first use.
          get approvals() {
            approvals ??= new DynamoApprovalStore(dynamoOf(principal), ledgerTableName);
            return approvals;
          },
        };
        deps.set(principal, found);
      }
      return found;
    },
  };
}

/** The ledger's DynamoDB: the configured endpoint, or a dynalite of the stack's own on loopback. */
interface LedgerHost {
  endpoint: string;
  local?: LocalDynamoDb;
}

async function ledgerHost(configured: string | undefined, path?: string): Promise<LedgerHost> {
  if (configured) return { endpoint: configured };
  const local = await startLocalDynamoDb({ host: '127.0.0.1', ...(path ? { path } : {}) });
  return { endpoint: local.endpoint, local };
}

/** Where the embedded stack keeps its ledger: beside the emulator's state file, else in memory. */
export const ledgerPathOf = (stateFile: string) => `${stateFile}.ledger`;

/** The table as serverless.yml defines it for the stage `local`, created unless it exists; its name. */
async function createLedgerTable(
  host: LedgerHost,
  region: string,
  credentials: AwsCredentialIdentity | undefined,
  config: OnboardingConfig,
  accountId: string,
): Promise<string> {
  const input = await ledgerTableInput({ config, accountId, region, stage: LOCAL_STAGE });
  const client = new DynamoDBClient({
    region,
    endpoint: host.endpoint,
    maxAttempts: SDK_MAX_ATTEMPTS,
    ...(credentials ? { credentials } : {}),
  });
  try {
    await ensureLedgerTable(client, input, { fresh: host.local?.fresh === true });
  } finally {
    client.destroy();
  }
  return input.TableName ?? '';
}

/** The notifier's ledger write for every local execution that ends, awaited before the stack closes. */
function endRecorder(ledger: () => DynamoLedger): Pick<Stack, 'recordEnd' | 'ledgerSettled'> {
  const pending = new Set<Promise<void>>();
  const results: RecordResult[] = [];
  const failures: unknown[] = [];
  return {
    recordEnd: (execution) => {
      const writing = recordEnd(ledger(), execution).then(
        (result) => {
          results.push(result);
        },
        (error: unknown) => {
          failures.push(error);
        },
      );
      pending.add(writing);
      void writing.finally(() => pending.delete(writing));
    },
    ledgerSettled: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      const [failure] = failures.splice(0);
      if (failure) throw failure;
      return results.splice(0);
    },
  };
}

/** What every mode adds for the ledger, given its host and table, to the stack it returns. */
function ledgerParts(
  host: LedgerHost,
  tableName: string,
  factory: Pick<Stack, 'ledgerFor'>,
): Pick<Stack, 'ledgerTable' | 'recordEnd' | 'ledgerSettled'> & {
  ledgerEnv: Record<string, string>;
  closeLedger(): Promise<void>;
} {
  // The notifier's own principal writes the ends, as the deployed notifier does.
  const recorder = endRecorder(() => factory.ledgerFor('notifyCompletion'));
  return {
    ledgerTable: { endpoint: host.endpoint, tableName },
    ...recorder,
    ledgerEnv: { [DYNAMODB_ENDPOINT_VAR]: host.endpoint, [LEDGER_TABLE_ENV]: tableName },
    closeLedger: async () => {
      await recorder.ledgerSettled().catch(() => undefined);
    },
  };
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
    // The ledger of a local run stays local (the deployed stack keeps its own): a dynalite of its own.
    const accountId = await accountOf({ AWS_REGION: region }).catch((error: unknown) => {
      throw new StackError(
        `${(error as Error).message} (--aws uses your shell's AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for the account to use; or drop --aws to run on the embedded stack)`,
      );
    });
    const ledger = await ledgerHost(undefined);
    try {
      const stateMachineArn = localStateMachineArn(region, accountId);
      const runtimeConfig = runtime(options.config, accountId);
      const [host, tableName] = await Promise.all([
        stepFunctionsHost(region),
        createLedgerTable(ledger, region, localCredentials('stack'), options.config, accountId),
      ]);
      const factory = clientFactory(
        region,
        { sfn: host.endpoint, dynamodb: ledger.endpoint },
        () => undefined,
        runtimeConfig,
        stateMachineArn,
        options.timing,
        tableName,
        localCredentials,
      );
      const { ledgerEnv, closeLedger, ...ledgerStack } = ledgerParts(ledger, tableName, factory);
      const stackEnv = {
        AWS_REGION: region,
        ...configEnv(options.config, accountId, stateMachineArn),
        ...ledgerEnv,
      };
      return {
        mode: 'aws',
        stateMachineArn,
        sfnEndpoint: host.endpoint,
        hostStepFunctions: (service) => host.registerService('states', service),
        description: `the AWS account ${accountId} (${region}) - real resources`,
        accountId,
        region,
        env: stackEnv,
        runtimeConfig,
        ...factory,
        ...ledgerStack,
        addFaults: async () => {
          throw new StackError(
            'fault flags only work on the embedded emulator or an `onboard emulator` endpoint',
          );
        },
        close: async () => {
          await closeLedger();
          factory.destroy();
          await Promise.all([host.stop(), ledger.local?.stop()]);
        },
      };
    } catch (error) {
      await ledger.local?.stop();
      throw error;
    }
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
    const keys = credentialVars(env);
    // The ledger: the configured DynamoDB, by its own variable or the shared one (LocalStack and moto
    // serve DynamoDB); else a dynalite of the stack's own (`onboard emulator`'s per-service variables).
    const accountId = await accountOf(
      keys.AWS_ACCESS_KEY_ID ? { ...merged, ...keys } : { ...merged, ...localCredentialVars('stack') },
    );
    const ledger = await ledgerHost(endpoints[DYNAMODB_ENDPOINT_VAR] ?? endpoints.AWS_ENDPOINT_URL);
    try {
      const iamEndpoint = merged.AWS_ENDPOINT_URL_IAM ?? '';
      const runtimeConfig = runtime(options.config, accountId);
      const stateMachineArn = localStateMachineArn(region, accountId);
      // The shell's own keys if it has them (LocalStack picks the account by key id), else one per principal.
      const shared = credentialsOf(env).credentials;
      const ledgerKeys = ledger.local
        ? localCredentials
        : (principal: string) => shared ?? localCredentials(principal);
      const [host, tableName] = await Promise.all([
        stepFunctionsHost(region),
        createLedgerTable(ledger, region, ledgerKeys('stack'), options.config, accountId),
      ]);
      const factory = clientFactory(
        region,
        {
          iam: iamEndpoint,
          secrets: merged.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '',
          sfn: host.endpoint,
          dynamodb: ledger.endpoint,
        },
        (principal) => shared ?? localCredentials(principal),
        runtimeConfig,
        stateMachineArn,
        options.timing,
        tableName,
        ledgerKeys,
      );
      const { ledgerEnv, closeLedger, ...ledgerStack } = ledgerParts(ledger, tableName, factory);
      return {
        mode: 'endpoints',
        stateMachineArn,
        sfnEndpoint: host.endpoint,
        hostStepFunctions: (service) => host.registerService('states', service),
        description: `the configured endpoints (IAM ${iamEndpoint}, account ${accountId})`,
        accountId,
        region,
        env: { ...merged, ...configEnv(options.config, accountId, stateMachineArn), ...ledgerEnv },
        runtimeConfig,
        ...factory,
        ...ledgerStack,
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
        close: async () => {
          await closeLedger();
          factory.destroy();
          await Promise.all([host.stop(), ledger.local?.stop()]);
        },
      };
    } catch (error) {
      await ledger.local?.stop();
      throw error;
    }
  }

  const { startEmulator } = await import('@iam-onboarding/aws-emulator');
  // A seed is read, never written back: a demo account file stays as it was.
  const seed = options.emulatorState
    ? { seed: JSON.parse(await readFile(options.emulatorState, 'utf8')) as EmulatorState }
    : {};
  // The ledger's dynalite starts alongside the emulator: neither waits for the other. With a state file
  // (`onboard serve --state`) the ledger is kept beside it, so it outlives the executions (not kept).
  const stateFile = options.emulatorOptions?.stateFile;
  const [started, startedLedger] = await Promise.allSettled([
    startEmulator({ region, ...seed, ...options.emulatorOptions }),
    ledgerHost(undefined, stateFile ? ledgerPathOf(stateFile) : undefined),
  ]);
  if (started.status === 'rejected' || startedLedger.status === 'rejected') {
    if (started.status === 'fulfilled') await started.value.stop();
    if (startedLedger.status === 'fulfilled') await startedLedger.value.local?.stop();
    throw started.status === 'rejected' ? started.reason : (startedLedger as PromiseRejectedResult).reason;
  }
  const emulator = started.value;
  const ledger = startedLedger.value;
  try {
    // The stack's own emulator: its account is known, no STS round trip (other modes ask STS).
    const accountId = emulator.accountId;
    const [, tableName] = await Promise.all([
      (async () => {
        await seedManagedPolicies(emulator.env, options.config);
        if (options.authorize ?? true) {
          await registerFunctionRoles(emulator, options, accountId, region);
          emulator.authorization.setEnabled(true);
        }
      })(),
      createLedgerTable(ledger, region, localCredentials('stack'), options.config, accountId),
    ]);
    const runtimeConfig = runtime(options.config, accountId);
    const stateMachineArn = localStateMachineArn(region, accountId);
    const factory = clientFactory(
      region,
      {
        iam: emulator.endpoint,
        secrets: emulator.endpoint,
        sfn: emulator.endpoint,
        dynamodb: ledger.endpoint,
      },
      localCredentials,
      runtimeConfig,
      stateMachineArn,
      options.timing,
      tableName,
      localCredentials,
    );
    const { ledgerEnv, closeLedger, ...ledgerStack } = ledgerParts(ledger, tableName, factory);
    return {
      mode: 'embedded',
      stateMachineArn,
      sfnEndpoint: emulator.endpoint,
      hostStepFunctions: (service) => emulator.registerService('states', service),
      description: `the embedded local stack (${emulator.endpoint}, account ${accountId})`,
      accountId,
      region,
      env: {
        ...emulator.env,
        AWS_ENDPOINT_URL: emulator.endpoint,
        ...configEnv(options.config, accountId, stateMachineArn),
        ...ledgerEnv,
      },
      runtimeConfig,
      ...factory,
      ...ledgerStack,
      emulator,
      addFaults: async (faults) => {
        for (const fault of faults) emulator.faults.add(fault);
      },
      close: async () => {
        await closeLedger();
        factory.destroy();
        await Promise.all([emulator.stop(), ledger.local?.stop()]);
      },
    };
  } catch (error) {
    await Promise.all([emulator.stop(), ledger.local?.stop()]);
    throw error;
  }
}

/** The roles resolved once per process for each configuration, account and region: the matrix opens hundreds of stacks. */
const resolvedRoles = new Map<string, Promise<Record<string, PolicyDocument>>>();

function rolesFor(config: OnboardingConfig, accountId: string, region: string) {
  const key = JSON.stringify([config, accountId, region]);
  let found = resolvedRoles.get(key);
  if (!found) {
    found = resolveRoles({ config, accountId, region, stage: LOCAL_STAGE });
    found.catch(() => resolvedRoles.delete(key));
    resolvedRoles.set(key, found);
  }
  return found;
}

/** The role serverless-iam-roles-per-function creates for a function, and the Lambda's session in it. */
export function functionRoleArn(accountId: string, region: string, functionKey: string) {
  return `arn:aws:iam::${accountId}:role/${LOCAL_STATE_MACHINE}-${functionKey}-${region}-lambdaRole`;
}

/** Each function signs as its own role (serverless.yml's statements, resolved as the deploy resolves them). */
async function registerFunctionRoles(
  emulator: Emulator,
  options: OpenStackOptions,
  accountId: string,
  region: string,
): Promise<void> {
  const roles = options.roles ?? (await rolesFor(options.config, accountId, region));
  for (const [functionKey, document] of Object.entries(roles)) {
    emulator.authorization.registerPrincipal(principalKeyId(functionKey), {
      arn: `arn:aws:sts::${accountId}:assumed-role/${LOCAL_STATE_MACHINE}-${functionKey}-${region}-lambdaRole/${LOCAL_STATE_MACHINE}-${functionKey}`,
      principalArn: functionRoleArn(accountId, region, functionKey),
      identityPolicies: [document],
    });
  }
  for (const operator of options.operators ?? []) {
    emulator.authorization.registerPrincipal(principalKeyId(operator), { unrestricted: true });
  }
}

/**
 * Where the local Step Functions API is served when the other services are elsewhere (the configured
 * endpoints, or a real account): a loopback emulator of its own, serving nothing else that is used.
 */
async function stepFunctionsHost(region: string): Promise<Emulator> {
  const { startEmulator } = await import('@iam-onboarding/aws-emulator');
  return startEmulator({ region, host: '127.0.0.1' });
}

function runtime(config: OnboardingConfig, accountId: string): RuntimeConfig {
  // The local stage: its callback hosts are what ValidateRequest holds a callback URL to.
  return { ...config, iamArnPrefix: iamArnPrefixOf(accountId), stage: LOCAL_STAGE };
}

/** The emulator does not check signatures: any key works, and the key id names the caller. */
function localCredentials(principal: string): AwsCredentialIdentity {
  return { accessKeyId: principalKeyId(principal), secretAccessKey: 'local-stack-not-a-secret' };
}

function localCredentialVars(principal: string): Record<string, string> {
  const c = localCredentials(principal);
  return { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey };
}

function credentialVars(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.AWS_ACCESS_KEY_ID) out.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
  if (env.AWS_SECRET_ACCESS_KEY) out.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
  return out;
}
