import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Authorizer, type RegisteredPrincipal } from './authz.ts';
import { CallCounter, type CallFilter, type CallStats } from './calls.ts';
import { type ControlTarget, control } from './control.ts';
import { AwsError, PortInUseError } from './errors.ts';
import { FaultController, type FaultSpec } from './faults.ts';
import {
  type ConsistencySettings,
  IAM_READ_ONLY,
  type IamSettings,
  iamService,
  noteKeyUse,
} from './iam/index.ts';
import { type EmulatorService, type Reply, Router } from './router.ts';
import { SECRETS_MANAGER_READ_ONLY, secretsManagerService } from './secrets-manager.ts';
import {
  type EmulatorState,
  type EmulatorStateInput,
  emptyState,
  InvalidStateError,
  parseState,
} from './state.ts';
import { STS_READ_ONLY, stsService } from './sts.ts';

/**
 * The local AWS stack: IAM and STS (awsQuery, XML) and Secrets Manager (awsJson1.1) on one loopback
 * HTTP server, for the real AWS SDK clients; more services (a Step Functions API) can be registered on
 * the same port. Control endpoints under /_emulator/ read and seed the account, arm faults and read
 * the call counters. Nothing here runs until `startEmulator` is called.
 */

export interface EmulatorOptions {
  /** 0 (the default) takes a free port. */
  port?: number;
  /** 127.0.0.1 by default: the emulator has no authentication. */
  host?: string;
  accountId?: string;
  region?: string;
  /** Load the account from this file at start (if it exists) and write it back on every change and at stop. */
  stateFile?: string;
  /** The account to start with (ignored when `stateFile` exists). */
  seed?: EmulatorStateInput;
  /**
   * Evaluate every call against its caller's policies (see src/authz.ts). Off by default: every call
   * is allowed. The emulator's own key (`env.AWS_ACCESS_KEY_ID`) is the operator's and is never evaluated.
   */
  authorize?: boolean;
  /** Principals by access key id: roles with their policies, or `{ unrestricted: true }` operators. */
  principals?: Record<string, RegisteredPrincipal>;
  /**
   * For how long after a change a login profile answers EntityTemporarilyUnmodifiable to the next
   * change, as IAM does while a new profile propagates (0, the default: never).
   */
  loginProfileSettleMs?: number;
  /**
   * For how long after the last thing that hung on a user (key, login profile, MFA device, policy,
   * group, ...) went, DeleteUser still answers DeleteConflict, as IAM can while the removal propagates
   * (0, the default: never).
   */
  deleteUserSettleMs?: number;
  /** The same as a number of DeleteUser calls that still answer DeleteConflict: deterministic for tests (0: none). */
  deleteUserStaleConflicts?: number;
  /** The clock those windows are measured on, in ms since the epoch (Date.now by default): a test can move it. */
  clock?: () => number;
}

export const ENV_NAMES = [
  'AWS_ENDPOINT_URL_IAM',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_SFN',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
] as const;

export type EmulatorEnv = Record<(typeof ENV_NAMES)[number], string>;

/** A fault as armed, with how many calls it still affects. */
export type ArmedFault = FaultSpec & { remaining: number | 'always' };

export interface Emulator {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly host: string;
  readonly region: string;
  readonly accountId: string;
  /** The variables that point the AWS SDK and CLI at this emulator (dummy credentials included). */
  readonly env: EmulatorEnv;
  readonly faults: { add(spec: FaultSpec): void; list(): ArmedFault[]; clear(): void };
  /** Policy evaluation: on or off, and the principals that sign with keys the emulator did not issue. */
  /** IAM's eventual consistency: the windows of EmulatorOptions, read and changed between calls. */
  readonly consistency: {
    get(): ConsistencySettings;
    set(settings: Partial<ConsistencySettings>): void;
  };
  readonly authorization: {
    readonly enabled: boolean;
    setEnabled(on: boolean): void;
    registerPrincipal(accessKeyId: string, principal: RegisteredPrincipal): void;
  };
  /**
   * Calls per service and action, with outcomes and the faults fired; with `{ caller }`, only the calls
   * signed with that access key id.
   */
  calls(filter?: CallFilter): CallStats[];
  /** The same counts for each caller, by access key id; unsigned calls are counted in `calls()` only. */
  callsByCaller(): Record<string, CallStats[]>;
  clearCalls(): void;
  /** Microseconds spent handling each call (routing, the action, the answer), oldest first. */
  serverTimings(): number[];
  /** The whole account as plain JSON (secret values included: this is the AWS side; never log it). */
  snapshot(): EmulatorState;
  seed(state: EmulatorStateInput): void;
  /** Empties the account and clears faults and counters. */
  reset(): void;
  /** Serves another service on the same port (e.g. `X-Amz-Target: AWSStepFunctions.*`); faults apply to it by name. */
  registerService(name: string, service: EmulatorService): void;
  /** Closes the server and every open connection, and saves the state file; idempotent. */
  stop(): Promise<void>;
}

/** The key the emulator prints for shells and tools: the operator's, never evaluated. */
const OPERATOR_KEY = 'local-emulator';

const MAX_BODY = 1024 * 1024;
const MAX_CONTROL_BODY = 16 * 1024 * 1024;
const MAX_TIMINGS = 100_000;

/** The built-in services' read-only actions: after any other successful call the state file is rewritten. */
const READ_ONLY: Record<string, ReadonlySet<string>> = {
  iam: IAM_READ_ONLY,
  sts: STS_READ_ONLY,
  secretsmanager: SECRETS_MANAGER_READ_ONLY,
};

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new AwsError('RequestEntityTooLarge', `the request body exceeds ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function loadStateFile(file: string, accountId: string): EmulatorState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidStateError(`cannot read the emulator state ${file}: ${(error as Error).message}`);
  }
  try {
    return parseState(JSON.parse(text), accountId);
  } catch (error) {
    throw new InvalidStateError(`${file}: ${(error as Error).message}`);
  }
}

const CONSISTENCY_KEYS = ['loginProfileSettleMs', 'deleteUserSettleMs', 'deleteUserStaleConflicts'] as const;

/** Consistency settings are whole numbers of 0 or more; anything else is refused, naming the field. */
export function checkConsistency(settings: Partial<ConsistencySettings>): Partial<ConsistencySettings> {
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) {
    throw new InvalidStateError(`consistency settings are an object with ${CONSISTENCY_KEYS.join(', ')}`);
  }
  for (const [k, v] of Object.entries(settings)) {
    if (!(CONSISTENCY_KEYS as readonly string[]).includes(k)) {
      throw new InvalidStateError(`unknown consistency setting ${k}: use ${CONSISTENCY_KEYS.join(', ')}`);
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new InvalidStateError(`consistency setting ${k} must be a whole number of 0 or more`);
    }
  }
  return settings;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const defaultAccountId = options.accountId ?? '000000000000';
  const region = options.region ?? 'us-east-1';
  const host = options.host ?? '127.0.0.1';
  const { stateFile } = options;

  let state: EmulatorState =
    (stateFile ? loadStateFile(stateFile, defaultAccountId) : undefined) ??
    (options.seed
      ? parseState(structuredClone(options.seed), defaultAccountId)
      : emptyState(defaultAccountId));

  const save = () => {
    if (!stateFile) return;
    // Write then rename: a reader (or a crash) never sees half a file.
    const tmp = `${stateFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state, null, 2));
    renameSync(tmp, stateFile);
  };
  const saveAfterCall = () => {
    try {
      save();
    } catch (error) {
      // The change is made in memory; failing the call would tell the client it was not.
      console.error(`emulator: cannot save the state to ${stateFile}: ${(error as Error).message}`);
    }
  };
  try {
    save();
  } catch (error) {
    throw new InvalidStateError(`cannot write the emulator state ${stateFile}: ${(error as Error).message}`);
  }

  const faults = new FaultController();
  const authorizer = new Authorizer({
    enabled: options.authorize ?? false,
    operatorKeys: [OPERATOR_KEY],
  });
  for (const [id, principal] of Object.entries(options.principals ?? {})) authorizer.register(id, principal);
  const counter = new CallCounter();
  const timings: number[] = [];
  const router = new Router(region);
  const iamSettings: IamSettings = {
    loginProfileSettleMs: 0,
    deleteUserSettleMs: 0,
    deleteUserStaleConflicts: 0,
    clock: options.clock ?? (() => Date.now()),
  };
  const consistencyApi = {
    get: (): ConsistencySettings => ({
      loginProfileSettleMs: iamSettings.loginProfileSettleMs,
      deleteUserSettleMs: iamSettings.deleteUserSettleMs,
      deleteUserStaleConflicts: iamSettings.deleteUserStaleConflicts,
    }),
    set: (settings: Partial<ConsistencySettings>) => Object.assign(iamSettings, checkConsistency(settings)),
  };
  consistencyApi.set({
    ...(options.loginProfileSettleMs !== undefined
      ? { loginProfileSettleMs: options.loginProfileSettleMs }
      : {}),
    ...(options.deleteUserSettleMs !== undefined ? { deleteUserSettleMs: options.deleteUserSettleMs } : {}),
    ...(options.deleteUserStaleConflicts !== undefined
      ? { deleteUserStaleConflicts: options.deleteUserStaleConflicts }
      : {}),
  });
  router.register(
    'iam',
    iamService(
      () => state,
      () => iamSettings,
    ),
  );
  router.register(
    'sts',
    stsService(() => state),
  );
  router.register(
    'secretsmanager',
    secretsManagerService(() => state),
  );

  const send = (res: ServerResponse, reply: Reply, requestId: string) => {
    res.writeHead(reply.status, {
      'content-type': reply.contentType,
      'content-length': Buffer.byteLength(reply.body),
      'x-amzn-requestid': requestId,
    });
    res.end(reply.body);
  };

  async function serve(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const started = process.hrtime.bigint();
    const route = router.resolve(req, raw);
    if (!('run' in route)) return send(res, route, randomUUID());
    const call = counter.start(route.service, route.action, route.caller);
    // IAM records a key's last use when a request signed with it arrives, whatever its outcome.
    if (route.caller) noteKeyUse(state, route.caller, route.service, region);
    // Authorization comes first, as in AWS: a denied call never reaches the service, so it neither
    // triggers nor spends an injected fault (which stands for the service itself failing).
    const verdict = await authorizer.authorize(state, region, route);
    if (!verdict.allowed) {
      const reply = route.fail(verdict.code, verdict.message);
      call.outcome(reply.code);
      return send(res, reply, route.requestId);
    }
    const decision = faults.decide(route.service, route.action, route.caller);
    if (decision.latencyMs > 0) {
      call.fault('latency');
      await new Promise((resolve) => setTimeout(resolve, decision.latencyMs));
    }
    let reply: Reply;
    if (decision.error) {
      call.fault(decision.error.kind);
      reply = route.fail(decision.error.code, decision.error.message);
    } else {
      reply = await route.run();
      if (reply.code === undefined && READ_ONLY[route.service]?.has(route.action) === false) saveAfterCall();
    }
    call.outcome(reply.code);
    timings.push(Number(process.hrtime.bigint() - started) / 1000);
    if (timings.length > MAX_TIMINGS) timings.splice(0, MAX_TIMINGS / 2);
    if (decision.loseResponse && !decision.error) {
      // The change is made; the answer never arrives (the client sees a reset connection).
      call.fault('lost-response');
      req.socket.destroy();
      return;
    }
    send(res, reply, route.requestId);
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const isControl = path.startsWith('/_emulator/');
    readBody(req, isControl ? MAX_CONTROL_BODY : MAX_BODY)
      .then((raw) => (isControl ? control(target, req, res, path, raw) : serve(req, res, raw)))
      .catch((error: unknown) => {
        if (res.headersSent || res.destroyed) return;
        const status = error instanceof AwsError ? error.status : 500;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(String((error as Error).message));
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new PortInUseError(host, options.port ?? 0, { cause: error }) : error,
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const faultsApi = {
    add: (spec: FaultSpec) => faults.add(spec),
    list: () => faults.list(),
    clear: () => faults.clear(),
  };
  const reset = () => {
    state = emptyState(defaultAccountId);
    faults.clear();
    counter.clear();
    save();
  };
  const seed = (input: unknown) => {
    state = parseState(structuredClone(input), defaultAccountId);
    save();
  };
  const authorizationApi = {
    get enabled() {
      return authorizer.isEnabled;
    },
    setEnabled: (on: boolean) => authorizer.setEnabled(on),
    registerPrincipal: (accessKeyId: string, principal: RegisteredPrincipal) =>
      authorizer.register(accessKeyId, principal),
  };
  const target: ControlTarget = {
    consistency: consistencyApi,
    authorization: {
      get: () => ({ enabled: authorizer.isEnabled, principals: authorizer.registered() }),
      set: (on) => authorizer.setEnabled(on),
      register: (id, principal) => authorizer.register(id, principal),
    },
    info: () => ({ endpoint, accountId: state.accountId, region, services: router.names() }),
    snapshot: () => state,
    seed,
    reset,
    faults: faultsApi,
    calls: (filter) => counter.list(filter),
    callsByCaller: () => counter.byCaller(),
    clearCalls: () => counter.clear(),
  };

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    host,
    region,
    get accountId() {
      return state.accountId;
    },
    env: {
      AWS_ENDPOINT_URL_IAM: endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_ENDPOINT_URL_SFN: endpoint,
      AWS_REGION: region,
      // The SDK signs every request, so it needs credentials; the emulator does not check them.
      AWS_ACCESS_KEY_ID: OPERATOR_KEY,
      AWS_SECRET_ACCESS_KEY: 'emulator-secret-not-a-real-key',
    },
    faults: faultsApi,
    consistency: consistencyApi,
    authorization: authorizationApi,
    calls: (filter) => counter.list(filter),
    callsByCaller: () => counter.byCaller(),
    clearCalls: () => counter.clear(),
    serverTimings: () => [...timings],
    snapshot: () => structuredClone(state),
    seed,
    reset,
    registerService: (name, service) => router.register(name, service),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        saveAfterCall();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopped;
    },
  };
}
