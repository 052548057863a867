import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ApiSecrets, SdkSecretReader, type SecretIds, secretIdsFrom } from '../api/credentials.ts';
import { type ApiLogEntry, bodyLimitOf, type HttpResponse, handleHttp } from '../api/http.ts';
import { SfnOnboardings } from '../api/onboardings.ts';
import { DynamoApprovalStore } from '../approvals/dynamodb.ts';
import { SfnTaskCallbacks } from '../approvals/sfn.ts';
import { callbackPolicyOf, type OnboardingConfig, withCallbackHosts } from '../config.ts';
import { loadAsl } from '../definition.ts';
import { LedgerLister } from '../ledger/list.ts';
import { LedgerBackedStatusReader } from '../ledger/status.ts';
import { LOCAL_STAGE } from '../notifier/callback-policy.ts';
import { type NotifyOutcome, notifyCompletion } from '../notifier/notify.ts';
import { DynamoOffboardingStore } from '../offboarding/ledger.ts';
import {
  handleStatusPage,
  isStatusPagePath,
  STATUS_PAGE_PATH,
  type StatusPageDeps,
} from '../ui/status-page.ts';
import { stackStepFunctions } from './onboarding.ts';
import type { LocalRunnerOptions } from './runner.ts';
import { openStack, principalKeyId, type Stack } from './stack.ts';
import type { LocalStepFunctions, StatusChangeEvent } from './step-functions.ts';

/**
 * `onboard serve`: the whole stack on loopback, wired as on AWS -
 * - the emulator (IAM, Secrets Manager, STS) with the API's secrets seeded into its Secrets Manager,
 * - a Step Functions API on the emulator's port, running the real ASL with the real handlers,
 * - the HTTP API for ticketing tools, which reaches Step Functions and Secrets Manager through the SDK,
 * - the completion notifier, fed by the local Step Functions' status-change events,
 * - the status page at /ui on the API's port (src/ui/status-page.ts: loopback only, read-only).
 * Everything it starts, `stop()` stops.
 */

export interface ServeSecrets {
  webhookSecret: string;
  apiToken: string;
  callbackSecret: string;
}

export interface ServeOptions {
  config: OnboardingConfig;
  /** The AWS endpoint's port (IAM, Secrets Manager, STS, Step Functions); 0 takes a free one. */
  port?: number;
  /** The HTTP API's port; 0 takes a free one. */
  apiPort?: number;
  /** Keep the emulated account in this file, and the ledger beside it, across restarts (executions are not kept). */
  stateFile?: string;
  /** Secrets to use instead of fresh random ones. */
  secrets?: Partial<ServeSecrets>;
  /** Hosts the callback may reach in this run, besides `api.callbackAllowedHosts.local`. */
  callbackAllowedHosts?: string[];
  /** Replace the state machine's Retry intervals with this many ms. */
  retryDelayMs?: number;
  /** Awaited before each Task invocation (tests hold an execution in a state, explicitly). */
  beforeTask?: LocalRunnerOptions['beforeTask'];
  onNotify?: (outcome: NotifyOutcome, change: StatusChangeEvent) => void;
  onRequest?: (entry: ApiLogEntry) => void;
}

export interface Serve {
  /** `http://127.0.0.1:<apiPort>` */
  apiUrl: string;
  /** `http://127.0.0.1:<apiPort>/ui`: recent requests, and each execution's graph and timeline. */
  statusPageUrl: string;
  /** The AWS endpoint: IAM, Secrets Manager, STS and Step Functions. */
  awsEndpoint: string;
  stateMachineArn: string;
  secrets: ServeSecrets;
  /** The secrets the --state file's account held and this run kept (the others are new, or given). */
  secretsKept: (keyof ServeSecrets)[];
  /** The --state file: the account there, the ledger in FILE.ledger/. */
  stateFile?: string;
  /** The variables that point the AWS CLI, the SDK and `onboard start`/`status` at this stack. */
  exports: Record<string, string>;
  stack: Stack;
  sfn: LocalStepFunctions;
  /** Resolves when every completion callback begun so far has been sent or given up. */
  notificationsSettled(): Promise<void>;
  /** Stops the API, the executions, the callbacks and the emulator; idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** The status page lists this many of the most recent requests. */
const STATUS_PAGE_ROWS = 50;
const fresh = () => randomBytes(32).toString('base64url');

/** The API's secrets a --state file's account already holds (none on a first run). */
async function keptSecrets(sm: SecretsManagerClient, ids: SecretIds): Promise<Partial<ServeSecrets>> {
  const out: Partial<ServeSecrets> = {};
  for (const key of ['webhookSecret', 'apiToken', 'callbackSecret'] as const) {
    try {
      const value = (await sm.send(new GetSecretValueCommand({ SecretId: ids[key] }))).SecretString;
      if (value) out[key] = value;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
  }
  return out;
}

/** Creates each secret, or sets its value when a --state file already has it. */
async function seedSecrets(sm: SecretsManagerClient, ids: SecretIds, secrets: ServeSecrets): Promise<void> {
  for (const key of ['webhookSecret', 'apiToken', 'callbackSecret'] as const) {
    try {
      await sm.send(new CreateSecretCommand({ Name: ids[key], SecretString: secrets[key] }));
    } catch (error) {
      if ((error as Error).name !== 'ResourceExistsException') throw error;
      await sm.send(new PutSecretValueCommand({ SecretId: ids[key], SecretString: secrets[key] }));
    }
  }
}

function send(res: ServerResponse, r: HttpResponse, close = false): void {
  if (res.headersSent) return;
  res.writeHead(r.status, { ...r.headers, ...(close ? { connection: 'close' } : {}) });
  res.end(r.body);
}

const tooLarge = (limit: number): HttpResponse => ({
  status: 413,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify({ error: `the body is larger than ${limit} bytes` }),
});

/** Reads the body up to the limit; past it, answers 413 at once and stops reading. */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    // Answer, then close the connection: nothing more of an oversized body is read.
    const refuse = () => {
      req.removeAllListeners('data');
      req.pause();
      res.once('finish', () => req.socket.destroy());
      send(res, tooLarge(limit), true);
      resolve(undefined);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      refuse();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        refuse();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => {
      if (!done) resolve(undefined);
      done = true;
    });
  });
}

/** The port of the HTTP API is taken: one line naming the port and the flag that picks another. */
export class ApiPortInUseError extends Error {
  override readonly name = 'PortInUse' as const;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new ApiPortInUseError(
              `port ${port} on ${HOST} is already in use: stop what listens there, or pass --api-port with another port (0 picks a free one)`,
            )
          : error,
      );
    });
    server.listen(port, HOST, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export async function startServe(options: ServeOptions): Promise<Serve> {
  // The hosts of --callback-host join the local stage's: the API, ValidateRequest and the notifier agree.
  const config = withCallbackHosts(options.config, LOCAL_STAGE, options.callbackAllowedHosts ?? []);
  const stack = await openStack({
    config,
    // The embedded emulator, whatever the shell's AWS variables say: serve never reaches an account.
    env: { AWS_REGION: 'us-east-1' },
    emulatorOptions: {
      host: HOST,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.stateFile ? { stateFile: options.stateFile } : {}),
    },
  });
  let server: Server | undefined;
  let sfn: LocalStepFunctions | undefined;
  const clients: { destroy(): void }[] = [];
  const notifications = new Set<Promise<void>>();
  try {
    const emulator = stack.emulator;
    if (!emulator) throw new Error('serve needs the embedded emulator');
    // The API and the notifier act as their own functions would (their own key id, like every Task).
    const sdk = {
      region: stack.region,
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: principalKeyId('httpApi'), secretAccessKey: 'local-stack-not-a-secret' },
      maxAttempts: 2,
    };
    const sm = new SecretsManagerClient(sdk);
    const sfnClient = new SFNClient(sdk);
    // The API's secrets are the deploy's to create, not the API's: the operator seeds them.
    const operator = new SecretsManagerClient({
      ...sdk,
      credentials: {
        accessKeyId: emulator.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: emulator.env.AWS_SECRET_ACCESS_KEY,
      },
    });
    clients.push(sm, sfnClient, operator);
    const ids = secretIdsFrom(config, {});
    // With --state the account keeps the secrets of the last run: kept, so that a ticketing system set
    // up with them is not answered 401 after a restart. A value given in the environment wins.
    const kept = options.stateFile ? await keptSecrets(operator, ids) : {};
    const secrets: ServeSecrets = {
      webhookSecret: options.secrets?.webhookSecret || kept.webhookSecret || fresh(),
      apiToken: options.secrets?.apiToken || kept.apiToken || fresh(),
      callbackSecret: options.secrets?.callbackSecret || kept.callbackSecret || fresh(),
    };
    const keptFromState = (['webhookSecret', 'apiToken', 'callbackSecret'] as const).filter(
      (k) => !options.secrets?.[k] && kept[k] !== undefined,
    );
    await seedSecrets(operator, ids, secrets);
    // Read back through Secrets Manager, as the Lambda does; a short cache, since nothing rotates here.
    const apiSecrets = new ApiSecrets(new SdkSecretReader(sm), ids, { ttlMs: 5_000 });
    // The callback's signing secret is the notifier's to read (its role), not the API's.
    const notifierSm = new SecretsManagerClient({
      ...sdk,
      credentials: {
        accessKeyId: principalKeyId('notifyCompletion'),
        secretAccessKey: 'local-stack-not-a-secret',
      },
    });
    clients.push(notifierSm);
    const notifierSecrets = new ApiSecrets(new SdkSecretReader(notifierSm), ids, { ttlMs: 5_000 });

    // The stack's own Step Functions API, served on the emulator's port: executions started through
    // the HTTP API run with these options.
    const localSfn = await stackStepFunctions(stack, {
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.beforeTask ? { beforeTask: options.beforeTask } : {}),
    });
    const callbackPolicy = callbackPolicyOf(config, LOCAL_STAGE);
    localSfn.onStatusChange((change) => {
      if (change.detail.status === 'RUNNING') return;
      const sending = notifyCompletion(change, {
        ...callbackPolicy,
        callbackSecret: notifierSecrets.callbackSecret,
        maxAttempts: config.api.callbackMaxAttempts,
        timeoutMs: config.api.callbackTimeoutSeconds * 1000,
      }).then(
        (outcome) => options.onNotify?.(outcome, change),
        (error: Error) =>
          options.onNotify?.(
            { outcome: 'failed', reason: `${error.name}: ${error.message}`, attempts: 0, retryable: false },
            change,
          ),
      );
      notifications.add(sending);
      void sending.finally(() => notifications.delete(sending));
    });
    sfn = localSfn;

    const onboardings = new SfnOnboardings(sfnClient, localSfn.stateMachineArn);
    // The API's own principal, as the deployed function writes and reads its ledger.
    const apiLedger = stack.ledgerFor('httpApi');
    const statusReader = new LedgerBackedStatusReader(onboardings, apiLedger);
    // The approval gate as the deployed API answers it: its own principal's ledger and Step Functions.
    const approvals = {
      store: new DynamoApprovalStore(stack.clients('httpApi').dynamodb, stack.ledgerTable.tableName),
      callbacks: new SfnTaskCallbacks(sfnClient),
    };
    // The leaver saga as the deployed API starts and restores it.
    const offboardings = {
      starter: new SfnOnboardings(sfnClient, stack.offboardingStateMachineArn),
      store: new DynamoOffboardingStore(stack.clients('httpApi').dynamodb, stack.ledgerTable.tableName),
      callbacks: new SfnTaskCallbacks(sfnClient),
    };
    let baseUrl = '';
    // The status page reads as the API does (its statuses), and lists the ledger as the operator would.
    const pageLister = new LedgerLister(stack.clients('statusPage').dynamodb, stack.ledgerTable.tableName);
    // The API lists as its own principal, as the deployed function queries the ledger's indexes.
    const apiLister = new LedgerLister(stack.clients('httpApi').dynamodb, stack.ledgerTable.tableName);
    const statusPage: StatusPageDeps = {
      asl: await loadAsl(),
      recent: async () => (await pageLister.list({ limit: STATUS_PAGE_ROWS })).items,
      status: (requestId) => statusReader.status(requestId),
      item: (requestId) => apiLedger.get(requestId),
      approval: (requestId) => approvals.store.get(requestId),
      port: 0,
      log: (e) =>
        options.onRequest?.({
          method: 'GET',
          route: e.refused ? `${e.route} (refused: ${e.refused})` : e.route,
          status: e.status,
          ...(e.errorName ? { errorName: e.errorName } : {}),
        }),
    };
    const api = createServer((req, res) => {
      void readBody(req, res, bodyLimitOf(req.url ?? '/', config)).then(async (rawBody) => {
        if (rawBody === undefined) return;
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const path = q < 0 ? url : url.slice(0, q);
        if (isStatusPagePath(path)) {
          const page = await handleStatusPage(
            {
              method: req.method ?? 'GET',
              path,
              headers: req.headers,
              remoteAddress: req.socket.remoteAddress,
            },
            statusPage,
          );
          send(res, page);
          return;
        }
        // headersDistinct, not headers: Node keeps only the first of a repeated Authorization header,
        // and the API must see the repetition to refuse it.
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(req.headersDistinct)) {
          if (v !== undefined) headers[k] = v.length === 1 ? (v[0] ?? '') : v;
        }
        const response = await handleHttp(
          {
            method: req.method ?? 'GET',
            path: q < 0 ? url : url.slice(0, q),
            query: q < 0 ? '' : url.slice(q + 1),
            headers,
            rawBody,
          },
          {
            config,
            starter: onboardings,
            statusReader,
            ledger: apiLedger,
            lister: apiLister,
            credentials: apiSecrets.credentials,
            approvals,
            offboardings,
            callbackPolicy,
            baseUrl,
            ...(options.onRequest ? { log: options.onRequest } : {}),
          },
        );
        send(res, response);
      });
    });
    api.requestTimeout = 30_000;
    api.headersTimeout = 10_000;
    server = api;
    const apiPort = await listen(api, options.apiPort ?? 0);
    baseUrl = `http://${HOST}:${apiPort}`;
    statusPage.port = apiPort;

    const exports = {
      AWS_ENDPOINT_URL_SFN: emulator.endpoint,
      AWS_ENDPOINT_URL_IAM: emulator.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: emulator.endpoint,
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: stack.ledgerTable.endpoint,
      AWS_REGION: stack.region,
      // The AWS CLI v1 and some SDKs read the region from this one only.
      AWS_DEFAULT_REGION: stack.region,
      AWS_ACCESS_KEY_ID: emulator.env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: emulator.env.AWS_SECRET_ACCESS_KEY,
      ONBOARDING_STATE_MACHINE_ARN: localSfn.stateMachineArn,
      ONBOARDING_LEDGER_TABLE: stack.ledgerTable.tableName,
      ONBOARDING_API_URL: baseUrl,
      ONBOARDING_WEBHOOK_SECRET: secrets.webhookSecret,
      ONBOARDING_API_TOKEN: secrets.apiToken,
      ONBOARDING_CALLBACK_SECRET: secrets.callbackSecret,
    };

    let stopped: Promise<void> | undefined;
    return {
      apiUrl: baseUrl,
      statusPageUrl: `${baseUrl}${STATUS_PAGE_PATH}`,
      awsEndpoint: emulator.endpoint,
      stateMachineArn: localSfn.stateMachineArn,
      secrets,
      secretsKept: keptFromState,
      ...(options.stateFile ? { stateFile: options.stateFile } : {}),
      exports,
      stack,
      sfn: localSfn,
      notificationsSettled: async () => {
        while (notifications.size > 0) await Promise.allSettled([...notifications]);
      },
      stop: () => {
        stopped ??= (async () => {
          await new Promise<void>((resolve) => {
            api.close(() => resolve());
            api.closeAllConnections();
          });
          await localSfn.close();
          while (notifications.size > 0) await Promise.allSettled([...notifications]);
          for (const c of clients) c.destroy();
          await stack.close();
        })();
        return stopped;
      },
    };
  } catch (error) {
    if (server?.listening) {
      server.close();
      server.closeAllConnections();
    }
    await sfn?.close();
    for (const c of clients) c.destroy();
    await stack.close();
    throw error;
  }
}

/** What `onboard serve` prints: the endpoints, this run's secrets (once), exports and a signed curl. */
export function describeServe(serve: Serve): string[] {
  const exportLines = Object.entries(serve.exports).map(([k, v]) => `export ${k}=${v}`);
  return [
    'iam-onboarding is serving on loopback',
    `  HTTP API        ${serve.apiUrl}/onboardings`,
    `  status page     ${serve.statusPageUrl}  (open it in a browser on this machine; loopback only)`,
    `  AWS endpoint    ${serve.awsEndpoint}  (IAM, Secrets Manager, STS, Step Functions)`,
    `  state machine   ${serve.stateMachineArn}`,
    `  ledger          ${serve.stack.ledgerTable.tableName} on ${serve.stack.ledgerTable.endpoint}  (DynamoDB, ${serve.stateFile ? `kept in ${serve.stateFile}.ledger/` : 'in memory'})`,
    '',
    ...(serve.secretsKept.length === 3
      ? [
          `Paste into another shell (the secrets are the ones ${serve.stateFile} kept from the last run: a ticketing system set up with them goes on working):`,
        ]
      : [
          `Paste into another shell (this run's ${serve.secretsKept.length ? 'new ' : ''}secrets are printed only here${serve.stateFile ? ` and kept in ${serve.stateFile} for the next run` : ''}; set ONBOARDING_WEBHOOK_SECRET,`,
          'ONBOARDING_API_TOKEN or ONBOARDING_CALLBACK_SECRET before `onboard serve` to choose them):',
        ]),
    ...exportLines.map((l) => `  ${l}`),
    '',
    'A signed request, then its status:',
    ...signedCurlExample('$ONBOARDING_API_URL').map((l) => `  ${l}`),
    '',
    '`onboard start <request.json>`, `onboard status <request-id>` and `onboard list` work against it with the exports above.',
  ];
}

/** The shell recipe of docs/ticketing.md for one request file (the e2e tests run it verbatim). */
export function signedCurlExample(
  apiUrl: string,
  file = 'examples/new-hire.json',
  requestId = 'HR-1042',
): string[] {
  return [
    `body=$(cat ${file}); t=$(date +%s)`,
    `sig=$(printf '%s\\n%s\\n%s\\n%s' "$t" POST /onboardings "$body" | openssl dgst -sha256 -hmac "$ONBOARDING_WEBHOOK_SECRET" | sed 's/^.* //')`,
    `curl -sS -X POST "${apiUrl}/onboardings" -H 'content-type: application/json' -H "x-onboarding-signature: t=$t,v1=$sig" --data-binary "$body"`,
    `curl -sS "${apiUrl}/onboardings/${requestId}" -H "authorization: Bearer $ONBOARDING_API_TOKEN"`,
    `t=$(date +%s); sig=$(printf '%s\\n%s\\n%s\\n' "$t" GET /onboardings/${requestId} | openssl dgst -sha256 -hmac "$ONBOARDING_WEBHOOK_SECRET" | sed 's/^.* //')`,
    `curl -sS "${apiUrl}/onboardings/${requestId}" -H "x-onboarding-signature: t=$t,v1=$sig"`,
  ];
}
