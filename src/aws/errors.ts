import {
  AccessDeniedError,
  ConcurrentModificationError,
  ConflictError,
  EntityTemporarilyUnmodifiableError,
  InvalidInputError,
  LimitExceededError,
  NetworkError,
  type OnboardingError,
  ServiceFailureError,
  ThrottlingError,
  UnexpectedAwsError,
  UnexpectedError,
} from '../errors.ts';

/**
 * The one place where AWS SDK errors become domain errors. Gateways call it for every error they
 * do not handle themselves (NoSuchEntity, EntityAlreadyExists, ... are decided per call).
 */

interface AwsLikeError {
  name?: string;
  /** Set by the SDK on every error a service answered with ('client' or 'server'). */
  $fault?: string;
  /** awsQuery services (IAM): the wire error code, e.g. NoSuchEntity, while `name` is NoSuchEntityException. */
  Code?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The AWS error code: the wire code where the protocol has one (IAM), else the error's name. */
export function awsErrorName(error: unknown): string {
  const e = error as AwsLikeError | undefined;
  return e?.Code ?? e?.name ?? 'Error';
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  const e = error as AwsLikeError | undefined;
  return names.includes(awsErrorName(error)) || (e?.name !== undefined && names.includes(e.name));
}

/**
 * A deletion refused with AccessDenied may be the retry of one whose answer was lost. IAM (and Secrets
 * Manager) authorize before they look: a role scoped by path or by tag (`iam:ResourceTag/...`) cannot
 * match an entity that is gone - nothing carries the path or the tag any more - so the retry is refused
 * where "no such entity" was meant. Each delete in the gateways then reads its target back, with a read
 * the role may do on a missing name: absent, the deletion is done; present, the AccessDenied stands.
 */
export const isAccessDenied = (error: unknown) => isAwsError(error, 'AccessDenied', 'AccessDeniedException');

type ErrorClass = new (message: string, options?: { cause?: unknown }) => OnboardingError;

/**
 * The AWS error codes this project knows (IAM's wire codes, the JSON services' exception names, the
 * SDK's own), and what each means to the saga. Codes the gateways decide per call (NoSuchEntity on a
 * delete, EntityAlreadyExists on a create) are handled there before this table is consulted.
 */
export const AWS_ERROR_CODES: Readonly<Record<string, ErrorClass>> = {
  Throttling: ThrottlingError,
  ThrottlingException: ThrottlingError,
  TooManyRequestsException: ThrottlingError,
  RequestLimitExceeded: ThrottlingError,
  ServiceFailure: ServiceFailureError,
  ServiceFailureException: ServiceFailureError,
  ServiceUnavailable: ServiceFailureError,
  InternalFailure: ServiceFailureError,
  InternalServiceError: ServiceFailureError,
  InternalServiceErrorException: ServiceFailureError,
  ConcurrentModification: ConcurrentModificationError,
  ConcurrentModificationException: ConcurrentModificationError,
  EntityTemporarilyUnmodifiable: EntityTemporarilyUnmodifiableError,
  EntityTemporarilyUnmodifiableException: EntityTemporarilyUnmodifiableError,
  AccessDenied: AccessDeniedError,
  AccessDeniedException: AccessDeniedError,
  // No usable credentials is as permanent as a refusal: retrying will not find any.
  CredentialsProviderError: AccessDeniedError,
  UnrecognizedClientException: AccessDeniedError,
  InvalidClientTokenId: AccessDeniedError,
  LimitExceeded: LimitExceededError,
  LimitExceededException: LimitExceededError,
  InvalidInput: InvalidInputError,
  InvalidInputException: InvalidInputError,
  ValidationError: InvalidInputError,
  InvalidParameterException: InvalidInputError,
  InvalidRequestException: InvalidInputError,
  MalformedPolicyDocument: InvalidInputError,
  MalformedPolicyDocumentException: InvalidInputError,
  DeleteConflict: ConflictError,
  DeleteConflictException: ConflictError,
  EntityAlreadyExists: ConflictError,
  EntityAlreadyExistsException: ConflictError,
  ResourceExistsException: ConflictError,
  // The SDK's own timeouts (connection or request): the call may or may not have been applied.
  TimeoutError: NetworkError,
  RequestTimeout: NetworkError,
  RequestTimeoutException: NetworkError,
};

export function toDomainError(error: unknown, context: string): OnboardingError {
  const e = (error ?? {}) as AwsLikeError;
  const name = awsErrorName(e);
  const message = `${context}: ${e.message ?? String(error)}`;
  const options = { cause: error };
  const known = AWS_ERROR_CODES[name];
  if (known) return new known(message, options);
  if ((e.code && NETWORK_CODES.has(e.code)) || NETWORK_CODES.has(name))
    return new NetworkError(message, options);
  if (e.$fault !== undefined) {
    // A service answered, with an error this project does not know: a 5xx is AWS being unwell.
    const status = e.$metadata?.httpStatusCode;
    if (status !== undefined && status >= 500) return new ServiceFailureError(message, options);
    // 429 is throttling whatever the code is called: retried by the throttling retrier.
    if (status === 429) return new ThrottlingError(message, options);
    return new UnexpectedAwsError(`${context}: ${name}: ${e.message ?? ''}`, options);
  }
  // Neither an AWS answer nor a network failure (a TypeError, a malformed response): a bug. Retrying
  // would only hide it, so it is permanent and keeps its own name and message.
  return new UnexpectedError(`${context}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`, options);
}

/** Runs one AWS call; any failure comes back as the domain's error, named by `what` (the gateways' verbs). */
export async function callAws<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toDomainError(error, what);
  }
}
