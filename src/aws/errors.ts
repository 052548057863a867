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

export function toDomainError(error: unknown, context: string): OnboardingError {
  const e = (error ?? {}) as AwsLikeError;
  const name = awsErrorName(e);
  const message = `${context}: ${e.message ?? String(error)}`;
  const options = { cause: error };
  switch (name) {
    case 'Throttling':
    case 'ThrottlingException':
    case 'TooManyRequestsException':
    case 'RequestLimitExceeded':
      return new ThrottlingError(message, options);
    case 'ServiceFailure':
    case 'ServiceFailureException':
    case 'ServiceUnavailable':
    case 'InternalFailure':
    case 'InternalServiceError':
    case 'InternalServiceErrorException':
      return new ServiceFailureError(message, options);
    case 'ConcurrentModification':
    case 'ConcurrentModificationException':
      return new ConcurrentModificationError(message, options);
    case 'EntityTemporarilyUnmodifiable':
    case 'EntityTemporarilyUnmodifiableException':
      return new EntityTemporarilyUnmodifiableError(message, options);
    case 'AccessDenied':
    case 'AccessDeniedException':
    // No usable credentials is as permanent as a refusal: retrying will not find any.
    case 'CredentialsProviderError':
    case 'UnrecognizedClientException':
    case 'InvalidClientTokenId':
      return new AccessDeniedError(message, options);
    case 'LimitExceeded':
    case 'LimitExceededException':
      return new LimitExceededError(message, options);
    case 'InvalidInput':
    case 'InvalidInputException':
    case 'ValidationError':
    case 'InvalidParameterException':
    case 'InvalidRequestException':
    case 'MalformedPolicyDocument':
    case 'MalformedPolicyDocumentException':
      return new InvalidInputError(message, options);
    case 'DeleteConflict':
    case 'DeleteConflictException':
    case 'EntityAlreadyExists':
    case 'EntityAlreadyExistsException':
    case 'ResourceExistsException':
      return new ConflictError(message, options);
    // The SDK's own timeouts (connection or request): the call may or may not have been applied.
    case 'TimeoutError':
    case 'RequestTimeout':
    case 'RequestTimeoutException':
      return new NetworkError(message, options);
  }
  if ((e.code && NETWORK_CODES.has(e.code)) || NETWORK_CODES.has(name))
    return new NetworkError(message, options);
  if (e.$fault !== undefined) {
    // A service answered, with an error this project does not know: a 5xx is AWS being unwell.
    const status = e.$metadata?.httpStatusCode;
    if (status !== undefined && status >= 500) return new ServiceFailureError(message, options);
    return new UnexpectedAwsError(`${context}: ${name}: ${e.message ?? ''}`, options);
  }
  // Neither an AWS answer nor a network failure (a TypeError, a malformed response): a bug. Retrying
  // would only hide it, so it is permanent and keeps its own name and message.
  return new UnexpectedError(`${context}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`, options);
}
