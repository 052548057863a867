import type { FaultSpec } from '@iam-onboarding/aws-emulator';
import type { LambdaFault } from '../runner/local-runner.ts';
import { TASK_STATES } from '../steps/index.ts';
import { UsageError } from './io.ts';

/**
 * The fault flags of `onboard run`, so a user can watch a retry and a rollback happen:
 *   --fail ACTION:ERROR[:COUNT]   the AWS call ACTION answers ERROR (every time, or COUNT times)
 *   --throttle ACTION:COUNT       the next COUNT calls of ACTION are throttled, then it recovers
 *   --lose ACTION[:COUNT]         ACTION is applied but its answer is lost
 *   --crash STATE[:COUNT]         the Lambda of STATE dies after doing its work
 */

const ACTION = /^[A-Z][A-Za-z]+$/;

function positive(value: string | undefined, flag: string, raw: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} ${raw}: the count must be a whole number >= 1`);
  return n;
}

export function parseFail(raw: string): FaultSpec {
  const [action, error, count] = raw.split(':');
  if (!action || !ACTION.test(action) || !error) {
    throw new UsageError(`--fail ${raw}: expected ACTION:ERROR[:COUNT], e.g. CreateAccessKey:AccessDenied`);
  }
  const n = positive(count, '--fail', raw);
  return { action, kind: 'error', error, count: n ?? 'always' };
}

export function parseThrottle(raw: string): FaultSpec {
  const [action, count] = raw.split(':');
  if (!action || !ACTION.test(action))
    throw new UsageError(`--throttle ${raw}: expected ACTION:COUNT, e.g. CreateUser:2`);
  return { action, kind: 'error', error: 'Throttling', count: positive(count, '--throttle', raw) ?? 1 };
}

export function parseLose(raw: string): FaultSpec {
  const [action, count] = raw.split(':');
  if (!action || !ACTION.test(action))
    throw new UsageError(`--lose ${raw}: expected ACTION[:COUNT], e.g. CreateUser`);
  return { action, kind: 'lost-response', count: positive(count, '--lose', raw) ?? 1 };
}

export function parseCrash(raw: string): LambdaFault {
  const [state, count] = raw.split(':');
  if (!state || !TASK_STATES.includes(state)) {
    throw new UsageError(`--crash ${raw}: STATE must be one of ${TASK_STATES.join(', ')}`);
  }
  return { state, when: 'after', kind: 'crash', count: positive(count, '--crash', raw) ?? 1 };
}

export const collect =
  <T>(parse: (raw: string) => T) =>
  (raw: string, previous: T[] = []) => [...previous, parse(raw)];
