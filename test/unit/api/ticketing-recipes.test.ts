import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adapt, adaptApproval } from '../../../src/api/adapters.ts';
import { parseDecision } from '../../../src/approvals/approvals.ts';
import { PROJECT_ROOT } from '../../../src/definition.ts';
import { InvalidRequestError } from '../../../src/errors.ts';
import { validateRequest } from '../../../src/request.ts';
import { TEST_HIRE_RECIPIENT } from '../../fixtures/hire-key.ts';
import { config } from './fakes.ts';

/**
 * The recipes of docs/ticketing.md as the tools send them: each JSON body is read from the document,
 * its smart values (Jira `{{...}}`, ServiceNow `${...}`) replaced by what the tool would put there —
 * a filled form, then one with every optional field left empty (the tool sends "") — and sent through
 * the adapter and the request's validation. A body changed in the document is tested as changed; a
 * new smart value fails here until it is given a value.
 */

const doc = await readFile(join(PROJECT_ROOT, 'docs', 'ticketing.md'), 'utf8');

/** The JSON blocks of a section (from its heading to the next heading of the same or a higher level). */
function jsonBlocks(heading: string): string[] {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/ticketing.md has no section "${heading}"`);
  const level = heading.split(' ')[0] ?? '##';
  const rest = doc.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  const section = next < 0 ? rest : rest.slice(0, next);
  return [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/** The body with each smart value replaced; one the test does not know fails, naming it. */
function filled(template: string, values: Record<string, string>): unknown {
  const text = template.replace(/\{\{([^}]+)\}\}|\$\{([^}]+)\}/g, (_all, jira?: string, snow?: string) => {
    const name = (jira ?? snow ?? '').trim();
    if (!(name in values))
      throw new Error(`docs/ticketing.md uses the smart value ${name}: give it a value here`);
    return values[name] ?? '';
  });
  return JSON.parse(text);
}

/** The validation's refusal of an adapted request, or undefined when it is valid. */
function refusalOf(request: unknown): InvalidRequestError | undefined {
  try {
    validateRequest(request, config);
    return undefined;
  } catch (error) {
    return error as InvalidRequestError;
  }
}

const JIRA_FORM = {
  'issue.key': 'JSM-101',
  'issue.customfield_10050': 'grace.hopper',
  'issue.customfield_10051.value': 'data-engineers',
  'issue.customfield_10052': 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess',
  'issue.customfield_10053': TEST_HIRE_RECIPIENT,
  'issue.reporter.emailAddress': 'dave@example.com',
};

const SNOW_FORM = {
  number: 'RITM0020001',
  'variables.user_name': 'alan.turing',
  'variables.profile': 'data-engineers',
  'variables.policy_arns': 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess',
  'variables.public_key': TEST_HIRE_RECIPIENT,
  'variables.email': 'alan.turing@example.com',
  'opened_by.email': 'erin@example.com',
};

describe('the Jira Service Management recipe, as pasted', () => {
  const [start] = jsonBlocks('## Jira Service Management');
  /** The start body for these form values, its callback URL placeholder replaced by an allowed one. */
  const jiraBody = (values: Record<string, string>) => {
    const body = filled(start ?? '', values) as { onboarding: Record<string, string> };
    body.onboarding.callbackUrl = 'https://tickets.example.com/hooks/JSM-101';
    return body;
  };
  it('is in the document', () => {
    expect(start).toContain('"issue"');
  });

  it('makes a valid request from a filled form, the callback URL placeholder replaced', () => {
    // The rule's own incoming webhook, on a host the stage allows.
    const request = validateRequest(adapt('jira', jiraBody(JIRA_FORM)).request, config);
    expect(request).toMatchObject({
      requestId: 'JSM-101',
      userName: 'grace.hopper',
      profile: 'data-engineers',
      policyArns: ['arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess'],
      requestedBy: 'dave@example.com',
      contact: { email: 'dave@example.com', recipient: TEST_HIRE_RECIPIENT },
    });
  });

  it('takes empty smart values as absent, and names the Jira field when a required one is empty', () => {
    const empty = filled(start ?? '', {
      ...JIRA_FORM,
      'issue.customfield_10052': '',
      'issue.reporter.emailAddress': '',
    }) as { onboarding: Record<string, string> };
    empty.onboarding.callbackUrl = '';
    const request = validateRequest(adapt('jira', empty).request, config);
    expect(request.policyArns ?? []).toEqual([]);
    expect(request).not.toHaveProperty('requestedBy');
    expect(request.contact).toEqual({ recipient: TEST_HIRE_RECIPIENT });

    const noKey = adapt('jira', jiraBody({ ...JIRA_FORM, 'issue.customfield_10053': '' }));
    const refusal = refusalOf(noKey.request);
    expect(refusal).toBeInstanceOf(InvalidRequestError);
    expect(refusal?.issues.map((i) => noKey.fieldName(i.path))).toContain('onboarding.publicKey');
  });

  it("refuses a privileged profile when the reporter's e-mail came out empty, naming the Jira field", () => {
    const adapted = adapt(
      'jira',
      jiraBody({
        ...JIRA_FORM,
        'issue.customfield_10051.value': 'stepfunctions-admin',
        'issue.customfield_10052': '',
        'issue.reporter.emailAddress': '',
      }),
    );
    const refusal = refusalOf(adapted.request);
    expect(refusal?.issues.map((i) => adapted.fieldName(i.path))).toContain('onboarding.requestedBy');
  });

  it("maps the approval rule's body, approved or declined, onto an approver's decision", () => {
    const [approval] = jsonBlocks('### The approval of a privileged profile (Jira)');
    const values = {
      'issue.key': 'JSM-101',
      'initiator.emailAddress': 'alice@example.com',
      'comment.body': 'on-call lead',
    };
    const approved = adaptApproval('jira', 'JSM-101', filled(approval ?? '', values));
    expect(parseDecision('JSM-101', approved.body)).toEqual({
      requestId: 'JSM-101',
      approver: 'alice@example.com',
      decision: 'approve',
      reason: 'on-call lead',
    });
    const declined = adaptApproval(
      'jira',
      'JSM-101',
      filled((approval ?? '').replace('"approved"', '"declined"'), { ...values, 'comment.body': '' }),
    );
    expect(parseDecision('JSM-101', declined.body)).toEqual({
      requestId: 'JSM-101',
      approver: 'alice@example.com',
      decision: 'deny',
    });
  });
});

describe('the ServiceNow recipe, as pasted', () => {
  const [start] = jsonBlocks('## ServiceNow');

  it('makes a valid request from a filled catalog item, empty values absent', () => {
    const body = filled(start ?? '', SNOW_FORM) as { variables: Record<string, string> };
    body.variables.callback_url = '';
    const request = validateRequest(adapt('servicenow', body).request, config);
    expect(request).toMatchObject({
      requestId: 'RITM0020001',
      userName: 'alan.turing',
      requestedBy: 'erin@example.com',
      contact: { email: 'alan.turing@example.com', recipient: TEST_HIRE_RECIPIENT },
    });
    expect(request.contact).not.toHaveProperty('callbackUrl');
  });

  it("maps the approval record's body onto an approver's decision", () => {
    const line = doc.match(/`(\{ "number": "\$\{number\}", "approval": [^`]+)`/)?.[1];
    expect(line).toBeDefined();
    const body = (line ?? '').replace('"approved" | "rejected"', '"rejected"');
    const decision = adaptApproval(
      'servicenow',
      'RITM0020001',
      filled(body, { number: 'RITM0020001', 'approver.email': 'bob@example.com', comments: 'no' }),
    );
    expect(parseDecision('RITM0020001', decision.body)).toEqual({
      requestId: 'RITM0020001',
      approver: 'bob@example.com',
      decision: 'deny',
      reason: 'no',
    });
  });
});
