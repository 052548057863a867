import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import rawConfig from '../../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig } from '../../src/config.ts';
import { type PolicyDocument, resolveBoundary, resolveRoles } from '../../src/deploy/roles.ts';

/**
 * The escalation suite: every function's role as serverless.yml defines it (resolved as the deploy
 * resolves it) and the onboarded users' boundary, evaluated by a real IAM policy evaluator
 * (@cloud-copilot/iam-simulate): the calls each function is meant to make are allowed, and a table of
 * escalation attempts is denied. The expectations are written out here, by hand.
 */

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
const iam = (rest: string) => `arn:aws:iam::${ACCOUNT}:${rest}`;
const BOUNDARY = iam(`policy${config.permissionsBoundary.path}${config.permissionsBoundary.name}`);
const OWN_EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:iam-onboarding-prod:HR-1`;
const OTHER_STACK_EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:iam-onboarding-dev:HR-1`;
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:iam-onboarding-prod`;
const LEDGER = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/iam-onboarding-prod-ledger`;
const OTHER_TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/payroll`;
const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
const ONBOARDED_USER = iam(`user${config.userPath}ada`);
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const ourUser = {
  'iam:ResourceTag/onboarding:execution': OWN_EXECUTION,
  'aws:ResourceTag/onboarding:execution': OWN_EXECUTION,
};
const ourSecret = { 'aws:ResourceTag/onboarding:execution': OWN_EXECUTION };

type Decision = 'allowed' | 'denied';
interface Row {
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  expected: Decision;
  why: string;
}

const rows: (Row & { evaluated?: Decision | string })[] = [];
let roles: Record<string, PolicyDocument>;
let boundary: PolicyDocument;

beforeAll(async () => {
  roles = await resolveRoles({ config, accountId: ACCOUNT, region: REGION, stage: 'prod' });
  boundary = resolveBoundary(config);
});

/** The calls each function is meant to make: allowed. */
const INTENDED: Row[] = [
  {
    principal: 'plan',
    action: 'iam:GetUser',
    resource: iam('user/anyone'),
    expected: 'allowed',
    why: 'collision check at any path',
  },
  {
    principal: 'plan',
    action: 'iam:GetPolicy',
    resource: BOUNDARY,
    expected: 'allowed',
    why: 'the boundary exists',
  },
  {
    principal: 'plan',
    action: 'iam:GetPolicy',
    resource: READ_ONLY,
    expected: 'allowed',
    why: 'an allowed policy exists',
  },
  {
    principal: 'plan',
    action: 'iam:GetGroup',
    resource: iam(`group${config.groupPath}sre`),
    expected: 'allowed',
    why: 'the group',
  },
  {
    principal: 'plan',
    action: 'secretsmanager:DescribeSecret',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    expected: 'allowed',
    why: 'the secret name is free',
  },
  {
    principal: 'plan',
    action: 'states:DescribeExecution',
    resource: OWN_EXECUTION,
    expected: 'allowed',
    why: 'verifies its execution',
  },
  {
    principal: 'createUser',
    action: 'iam:CreateUser',
    resource: ONBOARDED_USER,
    context: { 'iam:PermissionsBoundary': BOUNDARY },
    expected: 'allowed',
    why: 'under the path, with the boundary',
  },
  {
    principal: 'createUser',
    action: 'iam:TagUser',
    resource: ONBOARDED_USER,
    context: {
      'aws:RequestTag/onboarding:execution': OWN_EXECUTION,
      'aws:TagKeys': ['onboarding:execution'],
    },
    expected: 'allowed',
    why: "CreateUser's own tags",
  },
  {
    principal: 'ensureGroup',
    action: 'iam:CreateGroup',
    resource: iam(`group${config.groupPath}sre`),
    expected: 'allowed',
    why: 'an allowed group',
  },
  {
    principal: 'addUserToGroup',
    action: 'iam:AddUserToGroup',
    resource: iam(`group${config.groupPath}sre`),
    expected: 'allowed',
    why: 'an allowed group',
  },
  {
    principal: 'attachGroupPolicies',
    action: 'iam:AttachGroupPolicy',
    resource: iam(`group${config.groupPath}sre`),
    context: { 'iam:PolicyARN': READ_ONLY },
    expected: 'allowed',
    why: 'an allowed policy on an allowed group',
  },
  {
    principal: 'ensureServiceLinkedRoles',
    action: 'iam:CreateServiceLinkedRole',
    resource: iam('role/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache'),
    context: { 'iam:AWSServiceName': 'elasticache.amazonaws.com' },
    expected: 'allowed',
    why: 'an allowed service',
  },
  {
    principal: 'createAccessKey',
    action: 'iam:CreateAccessKey',
    resource: ONBOARDED_USER,
    context: ourUser,
    expected: 'allowed',
    why: 'our own user',
  },
  {
    principal: 'createAccessKey',
    action: 'secretsmanager:CreateSecret',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    context: {
      'aws:RequestTag/onboarding:execution': OWN_EXECUTION,
      'aws:TagKeys': ['onboarding:execution'],
    },
    expected: 'allowed',
    why: 'under the prefix, tagged with our execution',
  },
  {
    principal: 'createAccessKey',
    action: 'secretsmanager:PutResourcePolicy',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    context: ourSecret,
    expected: 'allowed',
    why: 'our own secret',
  },
  {
    principal: 'undoCreateUser',
    action: 'iam:DeleteUser',
    resource: ONBOARDED_USER,
    context: ourUser,
    expected: 'allowed',
    why: 'our own user',
  },
  {
    principal: 'undoCreateAccessKey',
    action: 'secretsmanager:DeleteSecret',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    context: ourSecret,
    expected: 'allowed',
    why: 'our own secret',
  },
  {
    principal: 'httpApi',
    action: 'states:StartExecution',
    resource: STATE_MACHINE,
    expected: 'allowed',
    why: 'this state machine',
  },
  {
    principal: 'httpApi',
    action: 'dynamodb:UpdateItem',
    resource: LEDGER,
    expected: 'allowed',
    why: 'records the accepted request',
  },
  {
    principal: 'httpApi',
    action: 'dynamodb:GetItem',
    resource: LEDGER,
    expected: 'allowed',
    why: 'reads a request Step Functions forgot',
  },
  {
    principal: 'notifyCompletion',
    action: 'dynamodb:UpdateItem',
    resource: LEDGER,
    expected: 'allowed',
    why: 'records the end',
  },
  {
    principal: 'notifyCompletion',
    action: 'dynamodb:GetItem',
    resource: LEDGER,
    expected: 'allowed',
    why: 'explains a refused end',
  },
];

/** What a compromised or confused function must not be able to do: denied. */
const ESCALATIONS: Row[] = [
  {
    principal: 'createUser',
    action: 'iam:CreateUser',
    resource: ONBOARDED_USER,
    expected: 'denied',
    why: 'without a boundary',
  },
  {
    principal: 'createUser',
    action: 'iam:CreateUser',
    resource: ONBOARDED_USER,
    context: { 'iam:PermissionsBoundary': iam('policy/wide-open') },
    expected: 'denied',
    why: 'with another boundary',
  },
  {
    principal: 'createUser',
    action: 'iam:CreateUser',
    resource: iam('user/admins/eve'),
    context: { 'iam:PermissionsBoundary': BOUNDARY },
    expected: 'denied',
    why: 'outside the user path',
  },
  {
    principal: 'createUser',
    action: 'iam:TagUser',
    resource: ONBOARDED_USER,
    context: { ...ourUser, 'aws:RequestTag/onboarding:execution': OWN_EXECUTION },
    expected: 'denied',
    why: 're-tagging an onboarded user',
  },
  {
    principal: 'createUser',
    action: 'iam:TagUser',
    resource: ONBOARDED_USER,
    context: { 'aws:RequestTag/onboarding:execution': OTHER_STACK_EXECUTION },
    expected: 'denied',
    why: "another stack's execution tag",
  },
  {
    principal: 'attachGroupPolicies',
    action: 'iam:AttachGroupPolicy',
    resource: iam(`group${config.groupPath}sre`),
    context: { 'iam:PolicyARN': ADMIN },
    expected: 'denied',
    why: 'AdministratorAccess to a group',
  },
  {
    principal: 'attachGroupPolicies',
    action: 'iam:AttachGroupPolicy',
    resource: iam(`group${config.groupPath}sre`),
    context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/IAMFullAccess' },
    expected: 'denied',
    why: 'an off-allowlist policy',
  },
  {
    principal: 'attachGroupPolicies',
    action: 'iam:AttachGroupPolicy',
    resource: iam('group/sre'),
    context: { 'iam:PolicyARN': READ_ONLY },
    expected: 'denied',
    why: 'an allowed name at another path',
  },
  {
    principal: 'attachGroupPolicies',
    action: 'iam:AttachUserPolicy',
    resource: ONBOARDED_USER,
    context: { 'iam:PolicyARN': ADMIN },
    expected: 'denied',
    why: 'AdministratorAccess to a user',
  },
  {
    principal: 'addUserToGroup',
    action: 'iam:AddUserToGroup',
    resource: iam(`group${config.groupPath}admins`),
    expected: 'denied',
    why: 'an off-allowlist group',
  },
  {
    principal: 'addUserToGroup',
    action: 'iam:AddUserToGroup',
    resource: iam('group/admin/sre'),
    expected: 'denied',
    why: 'an allowed name at another path',
  },
  {
    principal: 'addUserToGroup',
    action: 'iam:AddUserToGroup',
    resource: iam(`group${config.groupPath}breakglass-sre`),
    expected: 'denied',
    why: 'a suffix of an allowed name',
  },
  {
    principal: 'createAccessKey',
    action: 'iam:CreateAccessKey',
    resource: ONBOARDED_USER,
    expected: 'denied',
    why: 'a user this project did not create',
  },
  {
    principal: 'createAccessKey',
    action: 'iam:CreateAccessKey',
    resource: ONBOARDED_USER,
    context: { 'iam:ResourceTag/onboarding:execution': OTHER_STACK_EXECUTION },
    expected: 'denied',
    why: "another stack's user",
  },
  {
    principal: 'createAccessKey',
    action: 'iam:CreateAccessKey',
    resource: iam('user/admins/root-ish'),
    context: ourUser,
    expected: 'denied',
    why: 'outside the user path',
  },
  {
    principal: 'undoCreateUser',
    action: 'iam:DeleteUser',
    resource: ONBOARDED_USER,
    expected: 'denied',
    why: 'a user this project did not create',
  },
  {
    principal: 'undoCreateAccessKey',
    action: 'iam:DeleteAccessKey',
    resource: ONBOARDED_USER,
    expected: 'denied',
    why: "someone else's key",
  },
  {
    principal: 'undoCreateUser',
    action: 'iam:CreateLoginProfile',
    resource: ONBOARDED_USER,
    context: ourUser,
    expected: 'denied',
    why: 'a password for a user',
  },
  {
    principal: 'ensureServiceLinkedRoles',
    action: 'iam:CreateServiceLinkedRole',
    resource: iam('role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway'),
    context: { 'iam:AWSServiceName': 'ops.apigateway.amazonaws.com' },
    expected: 'denied',
    why: 'an off-allowlist service',
  },
  {
    principal: 'createAccessKey',
    action: 'secretsmanager:GetSecretValue',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    context: ourSecret,
    expected: 'denied',
    why: 'reading the key it stored',
  },
  {
    principal: 'createAccessKey',
    action: 'secretsmanager:PutResourcePolicy',
    resource: secret('prod/database'),
    expected: 'denied',
    why: 'a secret outside the prefix',
  },
  {
    principal: 'createAccessKey',
    action: 'secretsmanager:PutResourcePolicy',
    resource: secret(`${config.secretPrefix}bob/access-key`),
    expected: 'denied',
    why: 'an untagged secret under the prefix',
  },
  {
    principal: 'undoCreateAccessKey',
    action: 'secretsmanager:DeleteSecret',
    resource: secret(`${config.secretPrefix}bob/access-key`),
    expected: 'denied',
    why: 'an untagged secret under the prefix',
  },
  {
    principal: 'httpApi',
    action: 'states:StartExecution',
    resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:payroll`,
    expected: 'denied',
    why: 'another state machine',
  },
  {
    principal: 'httpApi',
    action: 'secretsmanager:GetSecretValue',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    expected: 'denied',
    why: "an onboarded user's key",
  },
  {
    principal: 'notifyCompletion',
    action: 'secretsmanager:GetSecretValue',
    resource: secret(config.api.apiTokenSecretName),
    expected: 'denied',
    why: "the API's token",
  },
  {
    principal: 'httpApi',
    action: 'dynamodb:UpdateItem',
    resource: OTHER_TABLE,
    expected: 'denied',
    why: 'another table',
  },
  {
    principal: 'httpApi',
    action: 'dynamodb:DeleteItem',
    resource: LEDGER,
    expected: 'denied',
    why: 'erasing a ledger record',
  },
  {
    principal: 'httpApi',
    action: 'dynamodb:Scan',
    resource: LEDGER,
    expected: 'denied',
    why: 'reading every request',
  },
  {
    principal: 'notifyCompletion',
    action: 'dynamodb:PutItem',
    resource: LEDGER,
    expected: 'denied',
    why: 'replacing a record whole',
  },
  {
    principal: 'createAccessKey',
    action: 'dynamodb:UpdateItem',
    resource: LEDGER,
    expected: 'denied',
    why: 'a saga task writing the ledger',
  },
  {
    principal: 'plan',
    action: 'dynamodb:GetItem',
    resource: LEDGER,
    expected: 'denied',
    why: 'a saga task reading the ledger',
  },
];

/** What every function's role must deny, whatever the function. */
const EVERY_ROLE: Omit<Row, 'principal'>[] = [
  { action: 'iam:PassRole', resource: iam('role/admin'), expected: 'denied', why: 'passing a role' },
  {
    action: 'iam:PutUserPolicy',
    resource: ONBOARDED_USER,
    context: ourUser,
    expected: 'denied',
    why: 'an inline policy on a user',
  },
  {
    action: 'iam:PutGroupPolicy',
    resource: iam(`group${config.groupPath}sre`),
    expected: 'denied',
    why: 'an inline policy on a group',
  },
  {
    action: 'iam:PutRolePolicy',
    resource: iam('role/any'),
    expected: 'denied',
    why: 'an inline policy on a role',
  },
  {
    action: 'iam:DeleteUserPermissionsBoundary',
    resource: ONBOARDED_USER,
    context: ourUser,
    expected: 'denied',
    why: 'removing the boundary',
  },
  {
    action: 'iam:CreatePolicyVersion',
    resource: BOUNDARY,
    expected: 'denied',
    why: 'rewriting the boundary',
  },
  {
    action: 'sts:AssumeRole',
    resource: iam('role/OrganizationAccountAccessRole'),
    expected: 'denied',
    why: 'assuming another role',
  },
  { action: 'dynamodb:DeleteTable', resource: LEDGER, expected: 'denied', why: 'deleting the ledger' },
  {
    action: 'dynamodb:UpdateContinuousBackups',
    resource: LEDGER,
    expected: 'denied',
    why: "turning off the ledger's point-in-time recovery",
  },
];

/**
 * The retry of a delete whose answer was lost finds its target gone. IAM authorizes before it looks:
 * the gone target has no path and no tags any more, so the retried delete is denied (as on AWS, and in
 * the local stack), and each undo reads the target back - a read its role may do on a missing name -
 * to tell "gone: done" from "refused".
 */
const GONE_USER = iam('user/ada');
const RETRIED_DELETES: Row[] = [
  {
    principal: 'undoCreateUser',
    action: 'iam:DeleteUser',
    resource: GONE_USER,
    expected: 'denied',
    why: 'retried delete, user gone',
  },
  {
    principal: 'undoCreateUser',
    action: 'iam:GetUser',
    resource: GONE_USER,
    expected: 'allowed',
    why: 'read-back of the gone user',
  },
  {
    principal: 'undoEnsureGroup',
    action: 'iam:DeleteGroup',
    resource: iam('group/data-engineers'),
    expected: 'denied',
    why: 'retried delete, group gone',
  },
  {
    principal: 'undoEnsureGroup',
    action: 'iam:GetGroup',
    resource: iam('group/data-engineers'),
    expected: 'allowed',
    why: 'read-back of the gone group',
  },
  {
    principal: 'undoEnsureGroup',
    action: 'iam:GetGroup',
    resource: iam(`group${config.groupPath}data-engineers`),
    expected: 'allowed',
    why: 'read-back of the group still there',
  },
  {
    principal: 'undoEnsureGroup',
    action: 'iam:GetGroup',
    resource: iam('group/admin/data-engineers'),
    expected: 'denied',
    why: 'read-back at another path',
  },
  {
    principal: 'undoEnsureGroup',
    action: 'iam:GetGroup',
    resource: iam(`group${config.groupPath}admins`),
    expected: 'denied',
    why: 'read-back of an off-allowlist group',
  },
  {
    principal: 'undoEnsureServiceLinkedRoles',
    action: 'iam:DeleteServiceLinkedRole',
    resource: iam('role/AWSServiceRoleForElastiCache'),
    expected: 'denied',
    why: 'retried delete, role gone',
  },
  {
    principal: 'undoEnsureServiceLinkedRoles',
    action: 'iam:ListRoles',
    resource: '*',
    expected: 'allowed',
    why: 'read-back of the gone role (by path)',
  },
  {
    principal: 'undoCreateAccessKey',
    action: 'secretsmanager:DeleteSecret',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    expected: 'denied',
    why: 'retried delete, secret gone (untagged)',
  },
  {
    principal: 'undoCreateAccessKey',
    action: 'secretsmanager:DescribeSecret',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    expected: 'allowed',
    why: 'read-back of the gone secret',
  },
];

/** The onboarded users' boundary: the most any of them can ever do. */
const BOUNDARY_ROWS: Omit<Row, 'principal'>[] = [
  { action: 'iam:CreateUser', resource: iam('user/eve'), expected: 'denied', why: 'creating users' },
  {
    action: 'iam:AttachUserPolicy',
    resource: ONBOARDED_USER,
    context: { 'iam:PolicyARN': ADMIN },
    expected: 'denied',
    why: 'attaching a policy to itself',
  },
  {
    action: 'iam:DeleteUserPermissionsBoundary',
    resource: ONBOARDED_USER,
    expected: 'denied',
    why: 'removing its boundary',
  },
  { action: 'sts:AssumeRole', resource: iam('role/admin'), expected: 'denied', why: 'assuming a role' },
  { action: 'organizations:LeaveOrganization', resource: '*', expected: 'denied', why: 'organizations' },
  {
    action: 'codecommit:DeleteRepository',
    resource: `arn:aws:codecommit:${REGION}:${ACCOUNT}:repo`,
    expected: 'denied',
    why: 'destroying a repository',
  },
  {
    action: 'elasticache:CopySnapshot',
    resource: `arn:aws:elasticache:${REGION}:${ACCOUNT}:snapshot:s1`,
    expected: 'denied',
    why: 'exporting a snapshot',
  },
  {
    action: 'elasticache:CreateCacheCluster',
    resource: `arn:aws:elasticache:${REGION}:${ACCOUNT}:cluster:c1`,
    expected: 'allowed',
    why: 'the ElastiCache work it is for',
  },
  {
    action: 'iam:ChangePassword',
    resource: ONBOARDED_USER,
    context: { 'aws:username': 'ada' },
    expected: 'allowed',
    why: 'its own password',
  },
];

async function evaluate(
  principalArn: string,
  policies: PolicyDocument[],
  row: Pick<Row, 'action' | 'resource' | 'context'>,
  boundaryPolicy?: PolicyDocument,
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: principalArn,
        action: row.action,
        resource: { resource: row.resource, accountId: ACCOUNT },
        contextVariables: {
          'aws:PrincipalArn': principalArn,
          'aws:PrincipalAccount': ACCOUNT,
          ...(row.context ?? {}),
        },
      },
      identityPolicies: policies.map((policy, i) => ({ name: `policy${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(boundaryPolicy
        ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: boundaryPolicy }] }
        : {}),
    },
    {},
  );
  if (result.resultType === 'error') return `error: ${result.errors.message}`;
  return result.overallResult === 'Allowed' ? 'allowed' : 'denied';
}

const roleArn = (fn: string) => iam(`role/iam-onboarding-prod-${fn}-role`);

afterAll(() => {
  const header = ['principal', 'action', 'resource', 'why', 'expected', 'evaluated'];
  const cells = rows.map((r) => [
    r.principal,
    r.action,
    r.resource.replace(`arn:aws:`, ''),
    r.why,
    r.expected,
    String(r.evaluated),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i] ?? 0)).join('  ');
  const denied = rows.filter((r) => r.expected === 'denied').length;
  console.log(
    `\nEscalation suite: ${rows.length} evaluations (${rows.length - denied} intended calls, ${denied} escalation attempts), ` +
      `${rows.filter((r) => r.evaluated === r.expected).length} as expected\n${[line(header), ...cells.map(line)].join('\n')}\n`,
  );
});

describe('the least-privilege roles, evaluated', () => {
  it('allow every call each function is meant to make', async () => {
    for (const row of INTENDED) {
      const role = roles[row.principal];
      expect(role, row.principal).toBeDefined();
      const evaluated = await evaluate(roleArn(row.principal), [role as PolicyDocument], row);
      rows.push({ ...row, evaluated });
      expect(evaluated, `${row.principal} ${row.action} ${row.resource}`).toBe('allowed');
    }
  });

  it('deny the escalation attempts', async () => {
    for (const row of ESCALATIONS) {
      const evaluated = await evaluate(roleArn(row.principal), [roles[row.principal] as PolicyDocument], row);
      rows.push({ ...row, evaluated });
      expect(evaluated, `${row.principal} ${row.action} ${row.resource} (${row.why})`).toBe('denied');
    }
  });

  it('deny, for every function, passing roles, inline policies, removing a boundary, assuming roles', async () => {
    const functions = Object.keys(roles);
    expect(functions.length).toBeGreaterThan(10);
    for (const fn of functions) {
      for (const attempt of EVERY_ROLE) {
        const row = { ...attempt, principal: fn };
        const evaluated = await evaluate(roleArn(fn), [roles[fn] as PolicyDocument], row);
        rows.push({ ...row, evaluated });
        expect(evaluated, `${fn} ${row.action} (${row.why})`).toBe('denied');
      }
    }
  });
});

describe('a retried delete whose target is gone, evaluated', () => {
  it('is denied, and the read-back that tells "gone" from "refused" is allowed', async () => {
    for (const row of RETRIED_DELETES) {
      const evaluated = await evaluate(roleArn(row.principal), [roles[row.principal] as PolicyDocument], row);
      rows.push({ ...row, evaluated });
      expect(evaluated, `${row.principal} ${row.action} ${row.resource} (${row.why})`).toBe(row.expected);
    }
  });
});

describe("the onboarded users' boundary, evaluated", () => {
  it('caps even AdministratorAccess: escalation denied, the profile work allowed', async () => {
    // The user's identity allows everything; the boundary decides.
    const everything: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    };
    for (const attempt of BOUNDARY_ROWS) {
      const row = { ...attempt, principal: 'onboarded user (ada)' };
      const evaluated = await evaluate(ONBOARDED_USER, [everything], row, boundary);
      rows.push({ ...row, evaluated });
      expect(evaluated, `${row.action} (${row.why})`).toBe(row.expected);
    }
  });
});
