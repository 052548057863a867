import { randomBytes } from 'node:crypto';
import { AwsError } from './errors.ts';
import { callerOf, liveSession, timeStep, totp } from './iam/index.ts';
import type { QueryService } from './router.ts';
import { type EmulatorState, key, randomId } from './state.ts';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * STS, as far as a local stack needs it: GetCallerIdentity, and GetSessionToken (temporary credentials
 * for a user, with `aws:MultiFactorAuthPresent` when a code of their MFA device is given). A request
 * signed with an access key that the emulator issued is that user; anything else is the account root.
 */

const DEFAULT_SECONDS = 43_200;

function codeMatches(seed: string, code: string): boolean {
  const now = timeStep();
  return [now - 1, now, now + 1].some((step) => totp(seed, step) === code);
}

function getSessionToken(p: URLSearchParams, s: EmulatorState, accessKeyId: string | undefined) {
  // Only a long-term user key gets a session (a session cannot ask for another, as on AWS).
  const user = accessKeyId && !liveSession(s, accessKeyId) ? callerOf(s, accessKeyId) : undefined;
  if (!user) {
    throw new AwsError('AccessDenied', 'Cannot call GetSessionToken with session credentials', 403);
  }
  const seconds = Number(p.get('DurationSeconds') ?? DEFAULT_SECONDS);
  if (!Number.isInteger(seconds) || seconds < 900 || seconds > 129_600) {
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 129600",
    );
  }
  const serial = p.get('SerialNumber');
  const code = p.get('TokenCode');
  if ((serial === null) !== (code === null)) {
    throw new AwsError('ValidationError', 'SerialNumber and TokenCode go together.');
  }
  if (serial !== null && code !== null) {
    const device = s.virtualMfaDevices[serial];
    if (!device || !user.mfaDevices.includes(serial) || !codeMatches(device.seed, code)) {
      throw new AwsError(
        'AccessDenied',
        'MultiFactorAuthentication failed with invalid MFA one time pass code.',
        403,
      );
    }
  }
  const expires = new Date(Date.now() + seconds * 1000).toISOString();
  const session = {
    accessKeyId: randomId('ASIA', 20),
    secret: randomBytes(30).toString('base64'),
    token: randomBytes(48).toString('base64'),
    user: key(user.name),
    mfa: serial !== null,
    created: new Date().toISOString(),
    expires,
  };
  s.sessions[session.accessKeyId] = session;
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secret,
      SessionToken: session.token,
      Expiration: expires,
    },
  };
}

export function stsService(state: () => EmulatorState): QueryService {
  return {
    protocol: 'awsQuery',
    signingName: 'sts',
    namespace: STS_NAMESPACE,
    actions: {
      GetCallerIdentity: (_params, ctx) => {
        const s = state();
        const user = callerOf(s, ctx.accessKeyId);
        if (user) {
          return {
            UserId: user.id,
            Account: s.accountId,
            Arn: `arn:aws:iam::${s.accountId}:user${user.path}${user.name}`,
          };
        }
        return { UserId: s.accountId, Account: s.accountId, Arn: `arn:aws:iam::${s.accountId}:root` };
      },
      GetSessionToken: (params, ctx) => getSessionToken(params, state(), ctx.accessKeyId),
    },
  };
}

export const STS_READ_ONLY = new Set(['GetCallerIdentity']);
