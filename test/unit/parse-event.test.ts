import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { parseEvent } from '../../src/lambda/shared.ts';
import { parseRequest } from '../../src/request.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';

describe('task input parsing', () => {
  const schema = z.strictObject({ execution: z.string(), plan: z.strictObject({ user: z.string() }) });

  it('names the path, what was expected and what came', () => {
    expect(() => parseEvent(schema, { execution: 'x', plan: { user: 7 } }, 'CreateUser')).toThrow(
      'CreateUser: malformed task input: plan.user: Invalid input: expected string, received number',
    );
  });

  it('names the keys nobody expected', () => {
    expect(() =>
      parseEvent(schema, { execution: 'x', plan: { user: 'u' }, smuggled: 1 }, 'CreateUser'),
    ).toThrow(/\(event\): Unrecognized key: "smuggled"/);
  });

  it('a request with an unknown field names it', () => {
    expect(() =>
      parseRequest({
        requestId: 'HR-1',
        userName: 'grace',
        profile: 'developers',
        contact: { recipient: TEST_HIRE_RECIPIENT },
        admin: true,
      }),
    ).toThrow(/Unrecognized key: "admin"/);
  });
});
