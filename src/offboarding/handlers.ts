import * as z from 'zod/mini';
import { callbackPolicyOf, type RuntimeConfig, STAGE_ENV, secretNameFor } from '../config.ts';
import { InvalidConfigurationError, InvalidRequestError } from '../errors.ts';
import type { ExecutionVerifier } from '../gateways/executions.ts';
import { type Provider, verifyInvocation } from '../lambda/handlers.ts';
import { type Handler, parseEvent, traced } from '../lambda/shared.ts';
import { checkCallbackUrl } from '../notifier/callback-policy.ts';
import type { OffboardingStore } from './ledger.ts';
import {
  contain,
  type OffboardingDeps,
  removeAll,
  restore,
  type Snapshot,
  takeSnapshot,
  verifyGone,
} from './phases.ts';
import {
  graceSecondsOf,
  type OffboardingRequest,
  offboardingRequestSchema,
  parseOffboardingRequest,
} from './request.ts';

/**
 * The offboarding state machine's Lambda handlers (statemachine/offboarding.asl.yaml), each built with
 * its dependencies. Every handler parses its event, proves it is its execution's own (the execution is
 * in this state now, with this input), then runs its phase (src/offboarding/phases.ts).
 */

export type { Provider };

export interface OffboardingTaskDeps extends OffboardingDeps {
  /** Verifies against the offboarding state machine's executions. */
  executions: ExecutionVerifier;
  config: RuntimeConfig;
  /** The ledger's offboarding items (ONBOARDING_LEDGER_TABLE). */
  offboardings?: OffboardingStore;
}

const execution = z.string().check(z.minLength(1));
const status = z.enum(['Active', 'Inactive']);
const credential = z.strictObject({ id: z.string(), status });

/** What Snapshot returned (LeaverInventory and when it was taken): parsed, never cast. */
export const snapshotSchema = z.strictObject({
  user: z.strictObject({
    name: z.string().check(z.minLength(1)),
    arn: z.string(),
    userId: z.string(),
    path: z.string(),
    tags: z.record(z.string(), z.string()),
  }),
  loginProfile: z.boolean(),
  accessKeys: z.array(
    z.strictObject({
      id: z.string(),
      status,
      createdAt: z.optional(z.string()),
      lastUsedAt: z.optional(z.string()),
      lastUsedService: z.optional(z.string()),
    }),
  ),
  sshPublicKeys: z.array(credential),
  signingCertificates: z.array(credential),
  serviceSpecificCredentials: z.array(
    z.strictObject({ id: z.string(), status, service: z.string(), serviceUserName: z.optional(z.string()) }),
  ),
  mfaDevices: z.array(z.strictObject({ serial: z.string(), virtual: z.boolean() })),
  inlinePolicies: z.array(z.string()),
  attachedPolicies: z.array(z.string()),
  groups: z.array(z.string()),
  takenAt: z.string(),
  onboardedBy: z.string(),
  alreadyContained: z.boolean(),
});

const containmentSchema = z.strictObject({
  containedAt: z.string(),
  deactivated: z.array(
    z.strictObject({
      kind: z.enum(['access key', 'SSH key', 'signing certificate', 'service-specific credential']),
      id: z.string(),
    }),
  ),
  loginProfileDeleted: z.boolean(),
});

const phaseSchema = z.strictObject({
  request: offboardingRequestSchema,
  snapshot: snapshotSchema,
  execution,
});

/** The snapshot names the request's user: a snapshot of someone else is never acted on. */
function sameUser(state: string, requestUser: string, snapshot: Snapshot) {
  if (snapshot.user.name !== requestUser) {
    throw new InvalidRequestError(
      `${state}: the snapshot is of ${snapshot.user.name}, the request of ${requestUser}`,
    );
  }
}

function ledgerOf(state: string, d: OffboardingTaskDeps): OffboardingStore {
  if (!d.offboardings) {
    throw new InvalidConfigurationError(
      `${state} has no ledger (ONBOARDING_LEDGER_TABLE is not set for this function)`,
    );
  }
  return d.offboardings;
}

const validateSchema = z.strictObject({ input: z.unknown(), execution });

/**
 * ValidateOffboarding: the request's schema and its callback URL (one this stage would call, as the HTTP
 * API checks it); no AWS access. Its output is the execution's state.
 */
export function validateOffboardingHandler(deps: Provider<{ config: RuntimeConfig }>): Handler<unknown> {
  return async (event, context) => {
    const parsed = parseEvent(validateSchema, event, 'ValidateOffboarding');
    const requestId = (parsed.input as { requestId?: unknown } | null)?.requestId;
    return traced(
      'ValidateOffboarding',
      { requestId: typeof requestId === 'string' ? requestId : undefined, execution: parsed.execution },
      context,
      async () => {
        const request = parseOffboardingRequest(parsed.input);
        if (request.contact?.callbackUrl !== undefined) {
          const { config } = deps();
          if (config.stage === undefined) {
            throw new InvalidConfigurationError(
              `${STAGE_ENV} is not set: which stage's api.callbackAllowedHosts applies to the callback URL?`,
            );
          }
          checkCallbackUrl(request, callbackPolicyOf(config, config.stage), 'offboarding request');
        }
        return { request, graceSeconds: graceSecondsOf(request) };
      },
    );
  };
}

const snapshotEventSchema = z.strictObject({ request: offboardingRequestSchema, execution });

/** Snapshot: reads the user and everything on it, refuses a user that is not ours, records it. */
export function snapshotHandler(deps: Provider<OffboardingTaskDeps>): Handler<Snapshot> {
  return async (event, context) => {
    const { request, execution: arn } = parseEvent(snapshotEventSchema, event, 'Snapshot');
    return traced('Snapshot', { requestId: request.requestId, execution: arn }, context, async () => {
      const d = deps();
      await verifyInvocation(d, 'Snapshot', arn, { request });
      const ledger = ledgerOf('Snapshot', d);
      const snapshot = await takeSnapshot(request.userName, d);
      await ledger.record({
        requestId: request.requestId,
        executionArn: arn,
        userName: request.userName,
        phase: 'contained',
        snapshot,
      });
      return snapshot;
    });
  };
}

/** A phase over the snapshot: parsed, proven, the snapshot's user the request's. */
function phaseHandler<I extends { request: OffboardingRequest; snapshot: Snapshot; execution: string }, O>(
  state: string,
  schema: z.ZodMiniType<I>,
  deps: Provider<OffboardingTaskDeps>,
  run: (input: I, d: OffboardingTaskDeps) => Promise<O>,
): Handler<O> {
  return async (event, context) => {
    const input = parseEvent(schema, event, state);
    const { execution: arn, ...carried } = input;
    return traced(state, { requestId: input.request.requestId, execution: arn }, context, async () => {
      const d = deps();
      await verifyInvocation(d, state, arn, carried);
      sameUser(state, input.request.userName, input.snapshot);
      return run(input, d);
    });
  };
}

/** Contain: deny everything, every credential off, the password deleted; the ledger says contained. */
export function containHandler(deps: Provider<OffboardingTaskDeps>) {
  return phaseHandler('Contain', phaseSchema, deps, async ({ request, snapshot, execution: arn }, d) => {
    const ledger = ledgerOf('Contain', d);
    const containment = await contain(snapshot, d, request.requestId);
    await ledger.record({
      requestId: request.requestId,
      executionArn: arn,
      userName: request.userName,
      phase: 'contained',
      containment,
    });
    return containment;
  });
}

const graceSchema = z.strictObject({
  taskToken: z.string().check(z.minLength(1)),
  request: offboardingRequestSchema,
  snapshot: snapshotSchema,
  containment: containmentSchema,
  execution,
});

/**
 * GracePeriod (`.waitForTaskToken`): stores the token in the ledger, so that a restore request can
 * answer it; the state's timeout (the grace period) is the removal. The token is never returned or logged.
 */
export function awaitGraceHandler(deps: Provider<OffboardingTaskDeps>): Handler<{ graceEndsAt: string }> {
  return async (event, context) => {
    const {
      taskToken,
      request,
      snapshot,
      containment,
      execution: arn,
    } = parseEvent(graceSchema, event, 'GracePeriod');
    return traced('GracePeriod', { requestId: request.requestId, execution: arn }, context, async () => {
      const d = deps();
      await verifyInvocation(d, 'GracePeriod', arn, { request, snapshot, containment });
      sameUser('GracePeriod', request.userName, snapshot);
      const now = d.now?.() ?? new Date();
      const graceEndsAt = new Date(now.getTime() + graceSecondsOf(request) * 1000).toISOString();
      await ledgerOf('GracePeriod', d).record(
        {
          requestId: request.requestId,
          executionArn: arn,
          userName: request.userName,
          phase: 'grace',
          graceEndsAt,
          taskToken,
        },
        now,
      );
      return { graceEndsAt };
    });
  };
}

const restoreSchema = z.strictObject({
  request: offboardingRequestSchema,
  snapshot: snapshotSchema,
  containment: containmentSchema,
  // What the restore request answered the grace period's token with (who asked, when).
  grace: z.record(z.string(), z.unknown()),
  execution,
});

/** Restore: exactly what was active is active again, then the deny goes. */
export function restoreHandler(deps: Provider<OffboardingTaskDeps>) {
  return phaseHandler('Restore', restoreSchema, deps, async ({ request, snapshot, execution: arn }, d) => {
    const restoration = await restore(snapshot, d);
    await ledgerOf('Restore', d).record({
      requestId: request.requestId,
      executionArn: arn,
      userName: request.userName,
      phase: 'restored',
      restoration,
    });
    return restoration;
  });
}

/** Remove: everything, in AWS's order, then the user and its credentials secret. */
export function removeHandler(deps: Provider<OffboardingTaskDeps>) {
  return phaseHandler('Remove', phaseSchema, deps, async ({ snapshot }, d) =>
    removeAll(snapshot, secretNameFor(d.config, snapshot.user.name), d),
  );
}

const verifySchema = z.strictObject({
  request: offboardingRequestSchema,
  snapshot: snapshotSchema,
  removal: z.strictObject({
    removed: z.array(z.string()),
    secret: z.enum(['deleted', 'absent', 'kept']),
  }),
  execution,
});

/** Verify: the user is gone; the ledger records the removal. */
export function verifyHandler(deps: Provider<OffboardingTaskDeps>) {
  return phaseHandler('Verify', verifySchema, deps, async ({ request, removal, execution: arn }, d) => {
    await verifyGone(request.userName, d);
    await ledgerOf('Verify', d).record({
      requestId: request.requestId,
      executionArn: arn,
      userName: request.userName,
      phase: 'removed',
      removal,
    });
    return { gone: true };
  });
}
