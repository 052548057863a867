import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adapt, type Source } from '../../../src/api/adapters.ts';
import { signatureHeader } from '../../../src/api/auth.ts';
import { type HttpResponse, handleHttp } from '../../../src/api/http.ts';
import { InvalidRequestError } from '../../../src/errors.ts';
import { validateRequest } from '../../../src/request.ts';
import { TEST_HIRE_RECIPIENT } from '../../fixtures/hire-key.ts';
import { API_TOKEN, apiDeps, config, NOW, post, validRequest, WEBHOOK_SECRET } from './fakes.ts';

/**
 * Whatever a caller sends, the API answers a 4xx with a clear message or starts a valid onboarding:
 * never a 5xx, never a throw, and nothing starts for an invalid body. Runs are bounded so the suite
 * stays fast on a small machine.
 */

const RUNS = { numRuns: 300 };
const PATH_OF: Record<Source, string> = {
  generic: '/onboardings',
  jira: '/onboardings/jira',
  servicenow: '/onboardings/servicenow',
};

const signedHeaders = (body: string, path = '/onboardings') => ({
  'x-onboarding-signature': signatureHeader(WEBHOOK_SECRET, { method: 'POST', path, body }, NOW),
});

async function send(
  source: Source,
  rawBody: string,
  headers: Record<string, string> = signedHeaders(rawBody, PATH_OF[source]),
) {
  const { deps, fake } = apiDeps();
  const response = await handleHttp(post(rawBody, headers, PATH_OF[source]), deps);
  return { response, started: fake.started };
}

/** The oracle: what the schema and allowlists say about a body, independently of the handler. */
function verdict(source: Source, raw: string): 'valid' | 'invalid' {
  try {
    validateRequest(adapt(source, JSON.parse(raw)).request, config);
    return 'valid';
  } catch {
    return 'invalid';
  }
}

function expectClearRefusal(response: HttpResponse) {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  const body = JSON.parse(response.body) as {
    error?: unknown;
    issues?: { path: unknown; message: unknown }[];
  };
  expect(typeof body.error).toBe('string');
  expect((body.error as string).length).toBeGreaterThan(5);
  for (const issue of body.issues ?? []) {
    expect(typeof issue.path).toBe('string');
    expect(typeof issue.message).toBe('string');
  }
}

const json = fc.jsonValue({ maxDepth: 3 });
const anyString = fc.string({ maxLength: 80, unit: 'grapheme' });

/** A value for a field: often the right type but a bad value, sometimes anything at all. */
const mutant = fc.oneof(
  json,
  anyString,
  fc.constantFrom('', ' ', 'true', 'false', 'null', 'a,b', 'admins', 'has space', 'x'.repeat(200)),
  fc.array(anyString, { maxLength: 3 }),
);

const validJira = {
  issue: { key: 'JSM-1' },
  onboarding: {
    userName: 'jira.user',
    profile: 'sre',
    publicKey: TEST_HIRE_RECIPIENT,
    policyArns: 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess',
    email: 'a@example.com',
    callbackUrl: 'https://tickets.example.com/hook',
  },
};

const validServiceNow = {
  number: 'RITM0001',
  variables: {
    user_name: 'snow.user',
    profile: 'support',
    public_key: TEST_HIRE_RECIPIENT,
    policy_arns: '',
    tags: 'team=support',
  },
};

const VALID: Record<Source, Record<string, unknown>> = {
  generic: { ...validRequest, tags: { team: 'x' }, contact: { email: 'a@example.com' } },
  jira: validJira,
  servicenow: validServiceNow,
};

/** Field paths of a valid body, down one level into nested objects. */
function fieldPaths(body: Record<string, unknown>): string[][] {
  return Object.entries(body).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? [[k], ...Object.keys(v as object).map((c) => [k, c])]
      : [[k]],
  );
}

function mutate(body: Record<string, unknown>, path: string[], value: unknown, kind: string) {
  const copy = structuredClone(body);
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = path.at(-1) ?? '';
  if (kind === 'delete') delete target[last];
  else if (kind === 'add') target[`${last}_extra`] = value;
  else target[last] = value;
  return copy;
}

const nearValid = fc.constantFrom<Source>('generic', 'jira', 'servicenow').chain((source) =>
  fc
    .record({
      path: fc.constantFrom(...fieldPaths(VALID[source])),
      value: mutant,
      kind: fc.constantFrom('replace', 'replace', 'delete', 'add'),
    })
    .map(({ path, value, kind }) => ({ source, body: mutate(VALID[source], path, value, kind) })),
);

describe('the HTTP API under arbitrary input', () => {
  it('answers any string body with a clear 4xx, or a valid start; never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Source>('generic', 'jira', 'servicenow'),
        fc.string({ maxLength: 400 }),
        async (source, raw) => {
          const { response, started } = await send(source, raw);
          if (response.status === 202) {
            expect(started).toHaveLength(1);
          } else {
            expectClearRefusal(response);
            expect(started).toEqual([]);
          }
        },
      ),
      RUNS,
    );
  });

  it('starts exactly the valid ones among arbitrary JSON bodies, on every path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Source>('generic', 'jira', 'servicenow'),
        json,
        async (source, body) => {
          const raw = JSON.stringify(body) ?? 'null';
          const { response, started } = await send(source, raw);
          if (verdict(source, raw) === 'valid') {
            expect(response.status).toBe(202);
            expect(started).toHaveLength(1);
          } else {
            expectClearRefusal(response);
            expect([400, 403]).toContain(response.status);
            expect(started).toEqual([]);
          }
        },
      ),
      RUNS,
    );
  });

  it('starts exactly the valid ones among near-valid requests with one field mutated', async () => {
    const seen = { valid: 0, invalid: 0 };
    await fc.assert(
      fc.asyncProperty(nearValid, async ({ source, body }) => {
        const raw = JSON.stringify(body);
        const { response, started } = await send(source, raw);
        seen[verdict(source, raw)]++;
        if (verdict(source, raw) === 'valid') {
          expect(response.status).toBe(202);
          expect(started).toHaveLength(1);
          // What is started is the validated request: it passes validation again as is.
          expect(() => validateRequest(JSON.parse(started[0]?.input ?? ''), config)).not.toThrow();
        } else {
          expectClearRefusal(response);
          expect([400, 403]).toContain(response.status);
          expect(started).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
    // Both sides of the property were exercised, not just one.
    expect(seen.valid).toBeGreaterThan(20);
    expect(seen.invalid).toBeGreaterThan(100);
  });

  it('never lets a body start anything without a valid signature or token, whatever the headers hold', async () => {
    const authHeaders = fc.record(
      {
        'x-onboarding-signature': fc.oneof(
          anyString,
          fc
            .tuple(fc.integer(), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 70 }))
            .map(([t, h]) => `t=${t},v1=${h}`),
          fc.constant(`t=${Math.floor(NOW / 1000)},v1=${'0'.repeat(64)}`),
        ),
        authorization: fc.oneof(
          anyString,
          anyString.map((s) => `Bearer ${s}`),
          fc.constant(`Bearer ${API_TOKEN}x`),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          nearValid.map((n) => n.body),
          json,
        ),
        authHeaders,
        async (body, headers) => {
          const raw = JSON.stringify(body) ?? 'null';
          const { response, started } = await send('generic', raw, headers as Record<string, string>);
          expect(response.status).toBe(401);
          expect(response.body).toBe('{"error":"unauthorized"}');
          expect(started).toEqual([]);
        },
      ),
      RUNS,
    );
  });

  it('answers any method, path, query and headers without a 5xx or a throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'get', 'BREW'),
        fc.oneof(
          fc.constantFrom(
            '/onboardings',
            '/onboardings/',
            '/onboardings/HR-1',
            '/onboardings/jira',
            '//',
            '',
          ),
          anyString.map((s) => `/onboardings/${s}`),
          anyString,
        ),
        fc.oneof(
          fc.constant(''),
          anyString,
          fc.constantFrom('source=jira', 'source=nope', 'source=jira&source=generic'),
        ),
        fc.dictionary(
          fc.constantFrom('x-onboarding-source', 'content-type', 'authorization', 'X-Onboarding-Signature'),
          anyString,
        ),
        fc.option(json),
        async (method, path, query, headers, body) => {
          const { deps, fake } = apiDeps();
          const rawBody = body === null ? '' : (JSON.stringify(body) ?? '');
          const response = await handleHttp({ method, path, query, headers, rawBody }, deps);
          expect(response.status).toBeLessThan(500);
          expect(() => JSON.parse(response.body)).not.toThrow();
          expect(fake.started).toEqual([]);
        },
      ),
      RUNS,
    );
  });

  it('maps any payload through the adapters without throwing anything but a clear InvalidRequest', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Source>('generic', 'jira', 'servicenow'),
        fc.oneof(
          json,
          nearValid.map((n) => n.body),
        ),
        (source, body) => {
          try {
            const adapted = adapt(source, body);
            expect(typeof adapted.fieldName('userName')).toBe('string');
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidRequestError);
            expect((error as InvalidRequestError).issues.length).toBeGreaterThan(0);
          }
        },
      ),
      RUNS,
    );
  });
});
