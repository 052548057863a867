/**
 * Domain errors. Each has a literal `name`: the state machine's Retry/Catch match on it
 * (`ErrorEquals`), and a minifier renames classes, so the name is never derived from the class.
 */

export type ErrorKind = 'transient' | 'permanent';

export abstract class OnboardingError extends Error {
  abstract override readonly name: string;
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The request is malformed: nothing was created. */
export class InvalidRequestError extends OnboardingError {
  override readonly name = 'InvalidRequest' as const;
  readonly kind = 'permanent' as const;
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** The request asks for something outside the configured allowlists. */
export class RequestNotAllowedError extends OnboardingError {
  override readonly name = 'RequestNotAllowed' as const;
  readonly kind = 'permanent' as const;
}

/**
 * A privileged request reached a task without an approval of its execution in the ledger (a task token
 * answered by someone other than the approval gate): nothing is read or created.
 */
export class ApprovalRequiredError extends OnboardingError {
  override readonly name = 'ApprovalRequired' as const;
  readonly kind = 'permanent' as const;
}

/** An approver said no: the execution ends `Denied`, nothing created. */
export class ApprovalDeniedError extends OnboardingError {
  override readonly name = 'ApprovalDenied' as const;
  readonly kind = 'permanent' as const;
}

/** Nobody approved within `approval.expiresAfterSeconds`: the execution ends `Expired`, nothing created. */
export class ApprovalExpiredError extends OnboardingError {
  override readonly name = 'ApprovalExpired' as const;
  readonly kind = 'permanent' as const;
}

/** This identity may not decide this approval: the requester themselves, or not a configured approver (403). */
export class ApprovalForbiddenError extends OnboardingError {
  override readonly name = 'ApprovalForbidden' as const;
  readonly kind = 'permanent' as const;
}

/** No approval waits under this request id (404). */
export class ApprovalNotFoundError extends OnboardingError {
  override readonly name = 'ApprovalNotFound' as const;
  readonly kind = 'permanent' as const;
}

/** The approval was decided already, or expired: the first decision stands (409). */
export class ApprovalConflictError extends OnboardingError {
  override readonly name = 'ApprovalConflict' as const;
  readonly kind = 'permanent' as const;
}

/** The configuration (environment or file) is missing a key or holds a bad value. */
export class InvalidConfigurationError extends OnboardingError {
  override readonly name = 'InvalidConfiguration' as const;
  readonly kind = 'permanent' as const;
}

/** The user name is taken by a user this execution did not create. */
export class UserAlreadyExistsError extends OnboardingError {
  override readonly name = 'UserAlreadyExists' as const;
  readonly kind = 'permanent' as const;
}

/** The access key's secret name is taken by a secret this execution did not create. */
export class SecretAlreadyExistsError extends OnboardingError {
  override readonly name = 'SecretAlreadyExists' as const;
  readonly kind = 'permanent' as const;
}

/** A requested managed policy, or the permissions boundary, does not exist in the account. */
export class PolicyNotFoundError extends OnboardingError {
  override readonly name = 'PolicyNotFound' as const;
  readonly kind = 'permanent' as const;
}

/** A service-linked role could not be deleted because its service still uses it. */
export class ServiceLinkedRoleInUseError extends OnboardingError {
  override readonly name = 'ServiceLinkedRoleInUse' as const;
  readonly kind = 'permanent' as const;
}

export class AccessDeniedError extends OnboardingError {
  override readonly name = 'AccessDenied' as const;
  readonly kind = 'permanent' as const;
}

/** An IAM quota (access keys per user, policies per group, groups per user) would be exceeded. */
export class LimitExceededError extends OnboardingError {
  override readonly name = 'LimitExceeded' as const;
  readonly kind = 'permanent' as const;
}

/** IAM refused the input (a rule the request schema does not know about). */
export class InvalidInputError extends OnboardingError {
  override readonly name = 'InvalidInput' as const;
  readonly kind = 'permanent' as const;
}

/** An entity changed under us in a way that makes the step impossible (e.g. DeleteConflict on a create path). */
export class ConflictError extends OnboardingError {
  override readonly name = 'Conflict' as const;
  readonly kind = 'permanent' as const;
}

export class ThrottlingError extends OnboardingError {
  override readonly name = 'Throttling' as const;
  readonly kind = 'transient' as const;
}

export class ServiceFailureError extends OnboardingError {
  override readonly name = 'ServiceFailure' as const;
  readonly kind = 'transient' as const;
}

export class ConcurrentModificationError extends OnboardingError {
  override readonly name = 'ConcurrentModification' as const;
  readonly kind = 'transient' as const;
}

/** A name deleted and at once recreated (a quick re-run after a rollback) is refused for a while. */
export class EntityTemporarilyUnmodifiableError extends OnboardingError {
  override readonly name = 'EntityTemporarilyUnmodifiable' as const;
  readonly kind = 'transient' as const;
}

/** The connection failed or the answer was lost: the call may or may not have been applied. */
export class NetworkError extends OnboardingError {
  override readonly name = 'NetworkError' as const;
  readonly kind = 'transient' as const;
}

/** IAM is eventually consistent: an entity created a moment ago can be NoSuchEntity to the next call. */
export class NotYetVisibleError extends OnboardingError {
  override readonly name = 'NotYetVisible' as const;
  readonly kind = 'transient' as const;
}

/**
 * A task was invoked with an event its execution did not produce: not a running execution of this
 * stack's state machine, not at this state, or carrying a request, plan or results other than the ones
 * the execution recorded. Nothing is done; it is never retried.
 */
export class ForgedInvocationError extends OnboardingError {
  override readonly name = 'ForgedInvocation' as const;
  readonly kind = 'permanent' as const;
}

/** An AWS error this project does not know: not retried, so that it is looked at. */
export class UnexpectedAwsError extends OnboardingError {
  override readonly name = 'UnexpectedAwsError' as const;
  readonly kind = 'permanent' as const;
}

/**
 * Anything that is neither a known AWS answer nor a network failure - a TypeError, a malformed response:
 * a bug, which retrying would only hide. It keeps the original error's name and message.
 */
export class UnexpectedError extends OnboardingError {
  override readonly name = 'UnexpectedError' as const;
  readonly kind = 'permanent' as const;
  readonly originalName: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const cause = options?.cause as { name?: unknown } | undefined;
    this.originalName = typeof cause?.name === 'string' ? cause.name : 'Error';
  }
}

/** An undo kept failing: the rollback could not remove everything this execution created. */
export class RollbackIncompleteError extends OnboardingError {
  override readonly name = 'RollbackIncomplete' as const;
  readonly kind = 'permanent' as const;
}

/** An offboarding refused to touch a user: not one this stack onboarded, or absent. Nothing was changed. */
export class OffboardingRefusedError extends OnboardingError {
  override readonly name = 'OffboardingRefused' as const;
  readonly kind = 'permanent' as const;
}

/** The removal of a leaver stopped half-way: the user stays contained, and the message names what is left. */
export class OffboardingIncompleteError extends OnboardingError {
  override readonly name = 'OffboardingIncomplete' as const;
  readonly kind = 'permanent' as const;
  constructor(
    message: string,
    readonly remaining: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The registry: every domain error class. The state machine's error names are checked against it (a
 * test constructs each class and reads its `name`), and the retried names are derived from `kind`.
 */
export const ERROR_CLASSES = [
  InvalidRequestError,
  RequestNotAllowedError,
  ApprovalRequiredError,
  ApprovalDeniedError,
  ApprovalExpiredError,
  ApprovalForbiddenError,
  ApprovalNotFoundError,
  ApprovalConflictError,
  InvalidConfigurationError,
  UserAlreadyExistsError,
  SecretAlreadyExistsError,
  PolicyNotFoundError,
  ServiceLinkedRoleInUseError,
  AccessDeniedError,
  LimitExceededError,
  InvalidInputError,
  ConflictError,
  ThrottlingError,
  ServiceFailureError,
  ConcurrentModificationError,
  EntityTemporarilyUnmodifiableError,
  NetworkError,
  NotYetVisibleError,
  ForgedInvocationError,
  UnexpectedAwsError,
  UnexpectedError,
  RollbackIncompleteError,
  OffboardingRefusedError,
  OffboardingIncompleteError,
] as const;

export type DomainError = InstanceType<(typeof ERROR_CLASSES)[number]>;
export type DomainErrorName = DomainError['name'];

const probes: readonly DomainError[] = ERROR_CLASSES.map((C) => new C('probe'));

/** Every error name the domain can raise (what an `ErrorEquals` may name besides States.* and Lambda.*). */
export const DOMAIN_ERROR_NAMES: readonly DomainErrorName[] = probes.map((e) => e.name);

/** IAM's rate limit speaking: retried longer than the other transient errors. */
export const THROTTLING_ERROR_NAMES: readonly DomainErrorName[] = ['Throttling'];

/** AWS being briefly unwell, never a refusal: what the state machine retries (throttling apart). */
export const TRANSIENT_ERROR_NAMES: readonly DomainErrorName[] = probes
  .filter((e) => e.kind === 'transient' && !THROTTLING_ERROR_NAMES.includes(e.name))
  .map((e) => e.name);

/** Lambda's own transient errors (the service, not the function): retried like AWS being unwell. */
export const LAMBDA_TRANSIENT_ERROR_NAMES = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/** Lambda's throttling of invocations: retried with IAM's throttling. */
export const LAMBDA_THROTTLING_ERROR_NAMES = ['Lambda.TooManyRequestsException'] as const;

/**
 * A function that died or timed out after its call may have done its work: retried a few times,
 * which is safe because every step is idempotent.
 */
export const CRASH_ERROR_NAMES = ['Lambda.Unknown', 'States.Timeout'] as const;
