import { describe, expect, it } from 'vitest';
import { adapt, sourceOf, UnknownSourceError } from '../../../src/api/adapters.ts';
import { InvalidRequestError } from '../../../src/errors.ts';
import { validateRequest } from '../../../src/request.ts';
import { TEST_HIRE_RECIPIENT } from '../../fixtures/hire-key.ts';
import { config } from './fakes.ts';

describe('the Jira Service Management adapter', () => {
  it('maps the automation body: issue key, the profile, lists as text or arrays, empty fields as absent', () => {
    const { request } = adapt('jira', {
      issue: { key: 'JSM-7' },
      onboarding: {
        userName: 'jira.user',
        profile: 'data-engineers',
        publicKey: TEST_HIRE_RECIPIENT,
        policyArns: 'arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess',
        tags: 'team=analytics; cost-center=4711',
        email: '',
        callbackUrl: 'https://tickets.example.com/hooks/JSM-7',
      },
    });
    expect(request).toEqual({
      requestId: 'JSM-7',
      userName: 'jira.user',
      profile: 'data-engineers',
      policyArns: [
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
        'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess',
      ],
      tags: { team: 'analytics', 'cost-center': '4711' },
      contact: { callbackUrl: 'https://tickets.example.com/hooks/JSM-7', recipient: TEST_HIRE_RECIPIENT },
    });
    expect(() => validateRequest(request, config)).not.toThrow();
  });

  it('names the Jira fields in errors, and refuses fields it does not know', () => {
    const adapted = adapt('jira', {
      issue: { key: 'JSM-7' },
      onboarding: { userName: 'a b', profile: 'sre' },
    });
    expect(adapted.fieldName('userName')).toBe('onboarding.userName');
    expect(adapted.fieldName('policyArns.1')).toBe('onboarding.policyArns.1');
    expect(adapted.fieldName('contact.callbackUrl')).toBe('onboarding.callbackUrl');
    expect(adapted.fieldName('requestId')).toBe('issue.key');
    expect(() => adapt('jira', { issue: { key: 'JSM-7' }, onboarding: { usrName: 'a' } })).toThrow(
      /onboarding\.usrName: unknown field/,
    );
    expect(() => adapt('jira', { issue: 'JSM-7' })).toThrow(/issue: must be a JSON object/);
    // The profile decides the group now: a form still sending it is told which field is unknown.
    expect(() => adapt('jira', { issue: { key: 'JSM-7' }, onboarding: { group: 'sre' } })).toThrow(
      /onboarding\.group: unknown field/,
    );
    expect(() => adapt('jira', [])).toThrow(InvalidRequestError);
  });
});

describe('who asked, for a privileged profile', () => {
  it("maps the requester from Jira's and ServiceNow's payloads: the identity that may never approve", () => {
    const jira = adapt('jira', {
      issue: { key: 'JSM-8' },
      onboarding: {
        userName: 'jira.admin',
        profile: 'stepfunctions-admin',
        publicKey: TEST_HIRE_RECIPIENT,
        requestedBy: 'dave@example.com',
      },
    });
    expect(jira.request).toMatchObject({ requestId: 'JSM-8', requestedBy: 'dave@example.com' });
    expect(jira.fieldName('requestedBy')).toBe('onboarding.requestedBy');
    const snow = adapt('servicenow', {
      number: 'RITM0010002',
      variables: {
        user_name: 'snow.admin',
        profile: 'stepfunctions-admin',
        public_key: TEST_HIRE_RECIPIENT,
        requested_by: 'erin@example.com',
      },
    });
    expect(snow.request).toMatchObject({ requestedBy: 'erin@example.com' });
    expect(snow.fieldName('requestedBy')).toBe('variables.requested_by');
    // An empty smart value is absent: the privileged request is then refused, naming the field to fill.
    const empty = adapt('jira', {
      issue: { key: 'JSM-9' },
      onboarding: {
        userName: 'x',
        profile: 'stepfunctions-admin',
        publicKey: TEST_HIRE_RECIPIENT,
        requestedBy: '',
      },
    });
    expect(empty.request).not.toHaveProperty('requestedBy');
  });
});

describe('the ServiceNow adapter', () => {
  it('maps the outbound REST message: number, variables', () => {
    const { request } = adapt('servicenow', {
      number: 'RITM0010001',
      variables: {
        user_name: 'snow.user',
        profile: 'sre',
        public_key: TEST_HIRE_RECIPIENT,
        policy_arns: 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess',
        email: 'snow.user@example.com',
        callback_url: '',
      },
    });
    expect(request).toEqual({
      requestId: 'RITM0010001',
      userName: 'snow.user',
      profile: 'sre',
      policyArns: ['arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess'],
      contact: { email: 'snow.user@example.com', recipient: TEST_HIRE_RECIPIENT },
    });
    expect(() => validateRequest(request, config)).not.toThrow();
  });

  it('names the ServiceNow variables in errors', () => {
    const adapted = adapt('servicenow', { number: 'RITM1', variables: {} });
    expect(adapted.fieldName('userName')).toBe('variables.user_name');
    expect(adapted.fieldName('requestId')).toBe('number');
    expect(adapted.fieldName('(request)')).toBe('(body)');
  });
});

describe('choosing the adapter', () => {
  const none = new URLSearchParams();
  it('takes the path, a source parameter or an X-Onboarding-Source header', () => {
    expect(sourceOf('jira', none, {})).toBe('jira');
    expect(sourceOf('generic', new URLSearchParams('source=servicenow'), {})).toBe('servicenow');
    expect(sourceOf('generic', none, { 'x-onboarding-source': 'Jira' })).toBe('jira');
    expect(sourceOf('generic', none, {})).toBe('generic');
  });

  it('refuses an unknown source and sources that disagree', () => {
    expect(() => sourceOf('generic', new URLSearchParams('source=slack'), {})).toThrow(UnknownSourceError);
    expect(() => sourceOf('jira', new URLSearchParams('source=servicenow'), {})).toThrow(/disagree/);
    expect(() =>
      sourceOf('generic', new URLSearchParams('source=jira'), { 'x-onboarding-source': 'servicenow' }),
    ).toThrow(/disagree/);
  });
});
