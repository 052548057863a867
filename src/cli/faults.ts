import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import { AWS_ERROR_CODES } from '../aws/errors.ts';
import { didYouMean } from '../did-you-mean.ts';
import type { LambdaFault } from '../local/runner.ts';
import { serviceOf, verbOf } from '../steps/calls.ts';
import { DECLARED_ACTIONS, TASK_STATES } from '../steps/index.ts';
import { UsageError } from './io.ts';

/**
 * The fault flags of `onboard run`, so a user can watch a retry and a rollback happen:
 *   --fail ACTION:ERROR[:COUNT]   the AWS call ACTION answers ERROR (every time, or COUNT times)
 *   --throttle ACTION:COUNT       the next COUNT calls of ACTION are throttled, then it recovers
 *   --lose ACTION[:COUNT]         ACTION is applied but its answer is lost
 *   --crash STATE[:COUNT]         the Lambda of STATE dies after doing its work
 * Each refuses what it cannot inject: an action no step calls, an error AWS does not answer, a state
 * the state machine does not have - with the closest name, since a typo would otherwise inject nothing.
 */

/** The actions the saga calls, by their API name (as the emulator and the AWS docs name them). */
const ACTIONS = [...new Set(DECLARED_ACTIONS.map(verbOf))].sort();
/** Errors a service answers (the SDK's own, raised without an answer, cannot be injected). */
const SDK_ONLY = new Set(['CredentialsProviderError', 'TimeoutError']);
const ERRORS = Object.keys(AWS_ERROR_CODES).filter((c) => !SDK_ONLY.has(c));

function positive(value: string | undefined, flag: string, raw: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} ${raw}: the count must be a whole number >= 1`);
  return n;
}

function action(value: string | undefined, flag: string, raw: string, example: string): FaultSpec['action'] {
  if (!value) throw new UsageError(`${flag} ${raw}: expected ${example}`);
  if (!ACTIONS.includes(value)) {
    throw new UsageError(
      `${flag} ${raw}: no step calls "${value}"${didYouMean(value, ACTIONS)}; the actions are ${ACTIONS.join(', ')}`,
    );
  }
  return value;
}

/** The service of an action name, so that a fault on DescribeSecret never hits another service's call. */
const serviceOfVerb = (verb: string) => {
  const declared = DECLARED_ACTIONS.find((a) => verbOf(a) === verb);
  return declared ? serviceOf(declared) : undefined;
};

export function parseFail(raw: string): FaultSpec {
  const [name, error, count] = raw.split(':');
  const example = 'ACTION:ERROR[:COUNT], e.g. CreateAccessKey:AccessDenied';
  const verb = action(name, '--fail', raw, example);
  if (!error) throw new UsageError(`--fail ${raw}: expected ${example}`);
  if (!ERRORS.includes(error)) {
    throw new UsageError(
      `--fail ${raw}: "${error}" is not an error AWS answers${didYouMean(error, ERRORS)}; e.g. AccessDenied, Throttling, ServiceFailure, LimitExceeded`,
    );
  }
  const n = positive(count, '--fail', raw);
  const service = serviceOfVerb(verb);
  return { action: verb, ...(service ? { service } : {}), kind: 'error', error, count: n ?? 'always' };
}

export function parseThrottle(raw: string): FaultSpec {
  const [name, count] = raw.split(':');
  const verb = action(name, '--throttle', raw, 'ACTION:COUNT, e.g. CreateUser:2');
  const service = serviceOfVerb(verb);
  return {
    action: verb,
    ...(service ? { service } : {}),
    kind: 'error',
    error: 'Throttling',
    count: positive(count, '--throttle', raw) ?? 1,
  };
}

export function parseLose(raw: string): FaultSpec {
  const [name, count] = raw.split(':');
  const verb = action(name, '--lose', raw, 'ACTION[:COUNT], e.g. CreateUser');
  const service = serviceOfVerb(verb);
  return {
    action: verb,
    ...(service ? { service } : {}),
    kind: 'lost-response',
    count: positive(count, '--lose', raw) ?? 1,
  };
}

export function parseCrash(raw: string): LambdaFault {
  const [state, count] = raw.split(':');
  if (!state || !TASK_STATES.includes(state)) {
    throw new UsageError(
      `--crash ${raw}: no state "${state ?? ''}"${didYouMean(state ?? '', TASK_STATES)}; the states are ${TASK_STATES.join(', ')}`,
    );
  }
  return { state, when: 'after', kind: 'crash', count: positive(count, '--crash', raw) ?? 1 };
}
