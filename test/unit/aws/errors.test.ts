import { IAMServiceException } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { AWS_ERROR_CODES, toDomainError } from '../../../src/aws/errors.ts';
import {
  ERROR_CLASSES,
  NetworkError,
  ServiceFailureError,
  ThrottlingError,
  UnexpectedAwsError,
  UnexpectedError,
} from '../../../src/errors.ts';

/** An error as the SDK raises it for a service answer: a ServiceException with $fault and $metadata. */
function serviceError(
  name: string,
  status: number,
  fault: 'client' | 'server' = status >= 500 ? 'server' : 'client',
) {
  return new IAMServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    message: `${name} happened`,
  });
}

describe('toDomainError', () => {
  it.each(Object.entries(AWS_ERROR_CODES))('maps the AWS code %s to its domain error', (code, Domain) => {
    const mapped = toDomainError(serviceError(code, 400), 'CreateUser');
    expect(mapped).toBeInstanceOf(Domain);
    expect(mapped.message).toBe(`CreateUser: ${code} happened`);
    expect((mapped as Error).cause).toBeInstanceOf(IAMServiceException);
  });

  it('reads the wire code (IAM `Code`) before the name', () => {
    const e = Object.assign(new Error('rate exceeded'), {
      name: 'SomethingElse',
      Code: 'Throttling',
      $fault: 'client',
    });
    expect(toDomainError(e, 'x')).toBeInstanceOf(ThrottlingError);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET'])(
    'maps the network code %s to NetworkError',
    (code) => {
      const e = Object.assign(new Error(`connect ${code}`), { code });
      expect(toDomainError(e, 'GetUser')).toBeInstanceOf(NetworkError);
    },
  );

  it('maps the SDK timeouts to NetworkError', () => {
    const e = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    expect(toDomainError(e, 'GetUser')).toBeInstanceOf(NetworkError);
  });

  it('an unknown 5xx answer is the service being unwell (transient)', () => {
    const mapped = toDomainError(serviceError('BrandNewServerError', 503), 'GetUser');
    expect(mapped).toBeInstanceOf(ServiceFailureError);
    expect(mapped.kind).toBe('transient');
  });

  it('an unknown 429 answer is throttling, whatever its code is called', () => {
    const mapped = toDomainError(serviceError('SlowDownPlease', 429), 'GetUser');
    expect(mapped).toBeInstanceOf(ThrottlingError);
    expect(mapped.kind).toBe('transient');
  });

  it('an unknown 4xx answer is permanent and names its code', () => {
    const mapped = toDomainError(serviceError('BrandNewRefusal', 400), 'AttachGroupPolicy');
    expect(mapped).toBeInstanceOf(UnexpectedAwsError);
    expect(mapped.kind).toBe('permanent');
    expect(mapped.message).toBe('AttachGroupPolicy: BrandNewRefusal: BrandNewRefusal happened');
  });

  it('a bug is never disguised as a network error: permanent, with its own name and message', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'UserName')");
    const mapped = toDomainError(bug, 'CreateUser');
    expect(mapped).toBeInstanceOf(UnexpectedError);
    expect(mapped.kind).toBe('permanent');
    expect((mapped as UnexpectedError).originalName).toBe('TypeError');
    expect(mapped.message).toBe(`CreateUser: TypeError: ${bug.message}`);
  });

  it('something that is not an Error at all is still an UnexpectedError', () => {
    const mapped = toDomainError('a string', 'CreateUser');
    expect(mapped).toBeInstanceOf(UnexpectedError);
    expect(mapped.message).toContain('a string');
  });
});

describe('the error registry', () => {
  it.each(ERROR_CLASSES.map((C) => [C.name, C] as const))(
    '%s constructs with a stable name and a kind',
    (_, C) => {
      const e = new (C as new (m: string) => InstanceType<typeof C>)('m');
      expect(e).toBeInstanceOf(Error);
      expect(e.message).toBe('m');
      expect(C.name).toBe(`${e.name}Error`.replace(/ErrorError$/, 'Error'));
      expect(['transient', 'permanent']).toContain(e.kind);
    },
  );

  it('no two classes share a name', () => {
    const names = ERROR_CLASSES.map((C) => new C('m').name);
    expect(new Set(names).size).toBe(names.length);
  });
});
