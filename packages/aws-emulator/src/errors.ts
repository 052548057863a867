/** An AWS error the emulator answers with: the wire code, the message and the HTTP status. */
export class AwsError extends Error {
  override readonly name = 'AwsError' as const;
  constructor(
    readonly code: string,
    message: string,
    readonly status = statusOf(code),
  ) {
    super(message);
  }
}

/** The emulator could not listen: another process holds the port. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUse' as const;
  constructor(
    readonly host: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(
      `port ${port} on ${host} is already in use: choose another with --port (or 0 for a free one)`,
      options,
    );
  }
}

/**
 * IAM's HTTP statuses for its error codes (awsQuery clients read the code from the body, but retry
 * strategies and proxies look at the status). Anything not listed is a 400 client error.
 */
const STATUS: Record<string, number> = {
  NoSuchEntity: 404,
  EntityAlreadyExists: 409,
  DeleteConflict: 409,
  LimitExceeded: 409,
  ConcurrentModification: 409,
  EntityTemporarilyUnmodifiable: 409,
  DuplicateCertificate: 409,
  NotSupportedService: 404,
  AccessDenied: 403,
  InvalidClientTokenId: 403,
  ServiceFailure: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  InternalServiceError: 500,
  RequestEntityTooLarge: 413,
};

export function statusOf(code: string): number {
  return STATUS[code] ?? 400;
}

/** Server-side errors are the Receiver's fault in awsQuery's `<Type>`; everything else the Sender's. */
export const faultType = (status: number): 'Sender' | 'Receiver' => (status >= 500 ? 'Receiver' : 'Sender');

/**
 * Faults name IAM-style errors; Secrets Manager spells the same conditions its own way, and answers
 * every error but its internal one with a 400.
 */
export function secretsManagerError(code: string): { code: string; status: number } {
  switch (code) {
    case 'Throttling':
      return { code: 'ThrottlingException', status: 400 };
    case 'ServiceFailure':
    case 'InternalFailure':
    case 'InternalServiceError':
      return { code: 'InternalServiceError', status: 500 };
    case 'AccessDenied':
      return { code: 'AccessDeniedException', status: 400 };
    case 'LimitExceeded':
      return { code: 'LimitExceededException', status: 400 };
    case 'InvalidClientTokenId':
      return { code: 'UnrecognizedClientException', status: 400 };
    default:
      return { code, status: statusOf(code) >= 500 ? statusOf(code) : 400 };
  }
}
