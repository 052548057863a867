import { runSimulation } from '@cloud-copilot/iam-simulate';
import { awsManagedDocument } from '@iam-onboarding/aws-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import rawConfig from '../../config/onboarding.json' with { type: 'json' };
import { boundaryArn, type Profile, parseOnboardingConfig } from '../../src/config.ts';
import {
  type PolicyDocument,
  resolveBoundaries,
  resolveRoles,
  resolveSelfService,
} from '../../src/deploy/roles.ts';

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
const boundaryOf = (name: string) => boundaryArn(config, `arn:aws:iam::${ACCOUNT}:`, name);
const BOUNDARY = boundaryOf('team-member');
const OWN_EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:iam-onboarding-prod:HR-1`;
const OTHER_STACK_EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:iam-onboarding-dev:HR-1`;
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:iam-onboarding-prod`;
const LEDGER = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/iam-onboarding-prod-ledger`;
const OTHER_TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/payroll`;
const LEDGER_INDEX = (name: string) => `${LEDGER}/index/${name}`;
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
let boundaries: Record<string, PolicyDocument>;

beforeAll(async () => {
  roles = await resolveRoles({ config, accountId: ACCOUNT, region: REGION, stage: 'prod' });
  boundaries = resolveBoundaries(config);
});

/** The calls each function is meant to make: allowed. */
const INTENDED: Row[] = [
  {
    principal: 'plan',
    action: 'dynamodb:GetItem',
    resource: LEDGER,
    expected: 'allowed',
    why: "the approver's decision, re-checked before any write",
  },
  {
    principal: 'awaitApproval',
    action: 'dynamodb:UpdateItem',
    resource: LEDGER,
    expected: 'allowed',
    why: 'the pending task token, stored server side',
  },
  {
    principal: 'httpApi',
    action: 'states:SendTaskSuccess',
    resource: '*',
    expected: 'allowed',
    why: "an approver's approval",
  },
  {
    principal: 'httpApi',
    action: 'states:SendTaskFailure',
    resource: '*',
    expected: 'allowed',
    why: "an approver's denial",
  },
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
  ...['elasticache-developer', 'stepfunctions-admin', 'kinesis-video-admin'].map(
    (b): Row => ({
      principal: 'createUser',
      action: 'iam:CreateUser',
      resource: ONBOARDED_USER,
      context: { 'iam:PermissionsBoundary': boundaryOf(b) },
      expected: 'allowed',
      why: `under the ${b} boundary`,
    }),
  ),
  {
    principal: 'plan',
    action: 'iam:GetPolicy',
    resource: boundaryOf('stepfunctions-admin'),
    expected: 'allowed',
    why: "a profile's boundary exists",
  },
  {
    principal: 'attachUserPolicies',
    action: 'iam:AttachUserPolicy',
    resource: ONBOARDED_USER,
    context: { ...ourUser, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser' },
    expected: 'allowed',
    why: 'an allowlisted extra policy on our own user',
  },
  {
    principal: 'undoAttachUserPolicies',
    action: 'iam:DetachUserPolicy',
    resource: ONBOARDED_USER,
    context: { ...ourUser, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser' },
    expected: 'allowed',
    why: 'our own user',
  },
  {
    principal: 'undoAttachGroupPolicies',
    action: 'iam:GetGroup',
    resource: iam(`group${config.groupPath}sre`),
    expected: 'allowed',
    why: 'who else joined',
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
    principal: 'httpApi',
    action: 'dynamodb:Query',
    resource: LEDGER_INDEX('byTime'),
    expected: 'allowed',
    why: 'lists the requests newest first',
  },
  {
    principal: 'httpApi',
    action: 'dynamodb:Query',
    resource: LEDGER_INDEX('byOutcome'),
    expected: 'allowed',
    why: 'lists the requests of one status',
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
    principal: 'attachGroupPolicies',
    action: 'iam:AttachGroupPolicy',
    resource: iam(`group${config.groupPath}sre`),
    context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser' },
    expected: 'denied',
    why: 'a per-user policy on a shared group',
  },
  {
    principal: 'attachUserPolicies',
    action: 'iam:AttachUserPolicy',
    resource: ONBOARDED_USER,
    context: { ...ourUser, 'iam:PolicyARN': ADMIN },
    expected: 'denied',
    why: 'AdministratorAccess to our own user',
  },
  {
    principal: 'attachUserPolicies',
    action: 'iam:AttachUserPolicy',
    resource: ONBOARDED_USER,
    context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser' },
    expected: 'denied',
    why: 'a user this project did not create',
  },
  {
    principal: 'attachUserPolicies',
    action: 'iam:AttachUserPolicy',
    resource: iam('user/admins/root-ish'),
    context: { ...ourUser, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser' },
    expected: 'denied',
    why: 'outside the user path',
  },
  {
    principal: 'createUser',
    action: 'iam:CreateUser',
    resource: ONBOARDED_USER,
    context: { 'iam:PermissionsBoundary': iam('policy/iam-onboarding/iam-onboarding-breakglass') },
    expected: 'denied',
    why: 'under a boundary no profile names',
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
    principal: 'httpApi',
    action: 'dynamodb:Query',
    resource: LEDGER,
    expected: 'denied',
    why: 'querying the table itself (only its listing indexes)',
  },
  {
    principal: 'httpApi',
    action: 'dynamodb:Scan',
    resource: LEDGER_INDEX('byTime'),
    expected: 'denied',
    why: 'scanning an index',
  },
  {
    principal: 'httpApi',
    action: 'dynamodb:Query',
    resource: `${OTHER_TABLE}/index/byTime`,
    expected: 'denied',
    why: "another table's index",
  },
  {
    principal: 'notifyCompletion',
    action: 'dynamodb:Query',
    resource: LEDGER_INDEX('byTime'),
    expected: 'denied',
    why: 'the notifier listing requests',
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
    principal: 'createAccessKey',
    action: 'dynamodb:GetItem',
    resource: LEDGER,
    expected: 'denied',
    why: 'a saga task reading the ledger',
  },
  {
    principal: 'plan',
    action: 'dynamodb:UpdateItem',
    resource: LEDGER,
    expected: 'denied',
    why: "Plan writing the ledger (it only reads the approver's decision)",
  },
  {
    principal: 'plan',
    action: 'dynamodb:GetItem',
    resource: OTHER_TABLE,
    expected: 'denied',
    why: 'Plan reading another table',
  },
  {
    principal: 'awaitApproval',
    action: 'dynamodb:PutItem',
    resource: LEDGER,
    expected: 'denied',
    why: 'the approval task replacing a record whole (it only adds the token)',
  },
  {
    principal: 'awaitApproval',
    action: 'dynamodb:UpdateItem',
    resource: OTHER_TABLE,
    expected: 'denied',
    why: 'the approval task writing another table',
  },
  {
    principal: 'awaitApproval',
    action: 'states:SendTaskSuccess',
    resource: '*',
    expected: 'denied',
    why: 'the approval task approving itself',
  },
  {
    principal: 'createUser',
    action: 'states:SendTaskSuccess',
    resource: '*',
    expected: 'denied',
    why: 'a saga task answering an approval',
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

/**
 * What every boundary denies, whatever the user's policies: IAM writes on others, on itself what
 * escalates, boundary removal, assuming roles, the organization.
 */
const ESCALATION_TABLE: Omit<Row, 'principal'>[] = [
  { action: 'iam:CreateUser', resource: iam('user/eve'), expected: 'denied', why: 'creating users' },
  {
    action: 'iam:CreateAccessKey',
    resource: iam(`user${config.userPath}bob`),
    expected: 'denied',
    why: 'a key for another user',
  },
  {
    action: 'iam:UpdateLoginProfile',
    resource: iam(`user${config.userPath}bob`),
    expected: 'denied',
    why: "another user's password",
  },
  {
    action: 'iam:DeactivateMFADevice',
    resource: iam(`user${config.userPath}bob`),
    expected: 'denied',
    why: "another user's MFA device",
  },
  {
    action: 'iam:CreateVirtualMFADevice',
    resource: iam('mfa/bob'),
    expected: 'denied',
    why: "another user's MFA device",
  },
  {
    action: 'iam:AttachUserPolicy',
    resource: ONBOARDED_USER,
    context: { 'iam:PolicyARN': ADMIN },
    expected: 'denied',
    why: 'attaching a policy to itself',
  },
  {
    action: 'iam:PutUserPolicy',
    resource: ONBOARDED_USER,
    expected: 'denied',
    why: 'an inline policy on itself',
  },
  {
    action: 'iam:CreateAccessKey',
    resource: ONBOARDED_USER,
    expected: 'denied',
    why: 'another key for itself',
  },
  {
    action: 'iam:AddUserToGroup',
    resource: iam(`group${config.groupPath}sre`),
    expected: 'denied',
    why: 'joining a group',
  },
  {
    action: 'iam:DeleteUserPermissionsBoundary',
    resource: ONBOARDED_USER,
    expected: 'denied',
    why: 'removing its boundary',
  },
  {
    action: 'iam:PutUserPermissionsBoundary',
    resource: ONBOARDED_USER,
    context: { 'iam:PermissionsBoundary': ADMIN },
    expected: 'denied',
    why: 'replacing its boundary',
  },
  { action: 'iam:CreatePolicyVersion', resource: BOUNDARY, expected: 'denied', why: 'rewriting a boundary' },
  { action: 'iam:CreateRole', resource: iam('role/escape'), expected: 'denied', why: 'creating a role' },
  {
    action: 'iam:AttachRolePolicy',
    resource: iam('role/service-role/StatesExecutionRole-x'),
    context: { 'iam:PolicyARN': ADMIN },
    expected: 'denied',
    why: 'arming a role',
  },
  {
    action: 'iam:PassRole',
    resource: iam('role/admin'),
    context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    expected: 'denied',
    why: 'passing an admin role',
  },
  {
    action: 'sts:AssumeRole',
    resource: iam('role/OrganizationAccountAccessRole'),
    expected: 'denied',
    why: 'assuming another role',
  },
  { action: 'organizations:LeaveOrganization', resource: '*', expected: 'denied', why: 'organizations' },
  {
    action: 'secretsmanager:GetSecretValue',
    resource: secret(`${config.secretPrefix}bob/access-key`),
    context: { 'aws:username': 'ada' },
    expected: 'denied',
    why: "another user's credentials secret",
  },
];

/** What every boundary lets a user do for itself: password, MFA device, its own credentials secret. */
const SELF_SERVICE: Omit<Row, 'principal'>[] = [
  { action: 'iam:ChangePassword', resource: ONBOARDED_USER, expected: 'allowed', why: 'its own password' },
  { action: 'iam:GetAccountPasswordPolicy', resource: '*', expected: 'allowed', why: 'the password rules' },
  {
    action: 'iam:CreateVirtualMFADevice',
    resource: iam('mfa/ada'),
    expected: 'allowed',
    why: 'its own MFA device',
  },
  { action: 'iam:EnableMFADevice', resource: ONBOARDED_USER, expected: 'allowed', why: 'its own MFA device' },
  { action: 'iam:ListMFADevices', resource: ONBOARDED_USER, expected: 'allowed', why: 'its own MFA devices' },
  {
    action: 'secretsmanager:GetSecretValue',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    expected: 'allowed',
    why: 'its own credentials secret',
  },
];

const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:hello`;
const EXECUTION_ROLE = iam('role/service-role/StatesExecutionRole-hello');

/**
 * The seeds' next steps, by profile, through the profile's real policies (group and allowlisted extras)
 * under its boundary: what the getting-started page goes on to do is allowed, the rest of the ceiling
 * is no further than the profile says.
 */
const PROFILE_WORK: Record<string, Omit<Row, 'principal'>[]> = {
  'elasticache-developer': [
    {
      action: 'elasticache:CreateCacheCluster',
      resource: `arn:aws:elasticache:${REGION}:${ACCOUNT}:cluster:demo`,
      expected: 'allowed',
      why: 'creates a cluster',
    },
    {
      action: 'elasticache:CopySnapshot',
      resource: `arn:aws:elasticache:${REGION}:${ACCOUNT}:snapshot:s1`,
      expected: 'denied',
      why: 'exporting a snapshot',
    },
    {
      action: 'states:CreateStateMachine',
      resource: STATE_MACHINE_ARN,
      expected: 'denied',
      why: "another profile's work",
    },
  ],
  'stepfunctions-admin': [
    {
      action: 'states:CreateStateMachine',
      resource: STATE_MACHINE_ARN,
      expected: 'allowed',
      why: 'creates a state machine',
    },
    { action: 'states:StartExecution', resource: STATE_MACHINE_ARN, expected: 'allowed', why: 'runs it' },
    {
      action: 'iam:PassRole',
      resource: EXECUTION_ROLE,
      context: { 'iam:PassedToService': 'states.amazonaws.com' },
      expected: 'allowed',
      why: 'an execution role to Step Functions, as the profile allows',
    },
    {
      action: 'iam:PassRole',
      resource: EXECUTION_ROLE,
      context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
      expected: 'denied',
      why: 'that role to another service',
    },
    {
      action: 'iam:PassRole',
      resource: iam('role/admin'),
      context: { 'iam:PassedToService': 'states.amazonaws.com' },
      expected: 'denied',
      why: 'another role to Step Functions',
    },
    {
      action: 'kinesisvideo:CreateStream',
      resource: `arn:aws:kinesisvideo:${REGION}:${ACCOUNT}:stream/demo/1`,
      expected: 'denied',
      why: "another profile's work",
    },
  ],
  'kinesis-video-admin': [
    {
      action: 'kinesisvideo:CreateStream',
      resource: `arn:aws:kinesisvideo:${REGION}:${ACCOUNT}:stream/demo/1`,
      expected: 'allowed',
      why: 'creates a stream',
    },
    {
      action: 'iam:PassRole',
      resource: EXECUTION_ROLE,
      context: { 'iam:PassedToService': 'states.amazonaws.com' },
      expected: 'denied',
      why: 'no role passing in this profile',
    },
    {
      action: 'elasticache:CreateCacheCluster',
      resource: `arn:aws:elasticache:${REGION}:${ACCOUNT}:cluster:demo`,
      expected: 'denied',
      why: "another profile's work",
    },
  ],
};

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

const EVERYTHING: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/** A profile's identity policies: its group's and the extras its allowlist offers, as AWS publishes them. */
function identityOf(profile: Profile): PolicyDocument[] {
  return [...profile.groupPolicyArns, ...profile.userPolicyArns].map((arn) => {
    const document = awsManagedDocument(arn);
    expect(document, `the evaluator knows ${arn}`).toBeDefined();
    return document as PolicyDocument;
  });
}

// A member at work has signed in with MFA: until then the boundary allows self-service only (below).
const USER_CONTEXT = { 'aws:username': 'ada', 'aws:MultiFactorAuthPresent': 'true' };

describe("the onboarded users' boundaries, evaluated", () => {
  const profiles = Object.entries(config.profiles);

  it('gives every profile a boundary (none is shipped without one)', () => {
    for (const [name, profile] of profiles) expect(profile.boundary, name).not.toBeNull();
  });

  it.each(profiles)(
    '%s: its boundary caps even AdministratorAccess - escalation denied, self-service allowed',
    async (name, profile) => {
      const boundary = boundaries[profile.boundary as string] as PolicyDocument;
      for (const attempt of [...ESCALATION_TABLE, ...SELF_SERVICE]) {
        const row = {
          ...attempt,
          context: { ...USER_CONTEXT, ...attempt.context },
          principal: `${name} user (ada)`,
        };
        const evaluated = await evaluate(ONBOARDED_USER, [EVERYTHING], row, boundary);
        rows.push({ ...row, evaluated });
        expect(evaluated, `${name}: ${row.action} ${row.resource} (${row.why})`).toBe(row.expected);
      }
    },
  );

  it.each(profiles)(
    '%s: its explicit denies alone stop the escalation table, should its ceiling ever be widened to everything',
    async (name, profile) => {
      const boundary = boundaries[profile.boundary as string] as PolicyDocument;
      const denies = (boundary.Statement as { Effect: string }[]).filter((st) => st.Effect === 'Deny');
      const widened: PolicyDocument = {
        Version: '2012-10-17',
        Statement: [...EVERYTHING.Statement, ...denies],
      };
      for (const attempt of [...ESCALATION_TABLE, ...SELF_SERVICE]) {
        const row = {
          ...attempt,
          context: { ...USER_CONTEXT, ...attempt.context },
          principal: `${name} user (ada)`,
        };
        const evaluated = await evaluate(ONBOARDED_USER, [EVERYTHING], row, widened);
        expect(evaluated, `${name}: ${row.action} ${row.resource} (${row.why})`).toBe(row.expected);
      }
    },
  );

  it.each(Object.keys(PROFILE_WORK))(
    "%s: the getting-started page's next steps are allowed by its policies under its boundary, escalation denied",
    async (name) => {
      const profile = config.profiles[name] as Profile;
      const boundary = boundaries[profile.boundary as string] as PolicyDocument;
      for (const attempt of [...(PROFILE_WORK[name] ?? []), ...ESCALATION_TABLE]) {
        const row = {
          ...attempt,
          context: { ...USER_CONTEXT, ...attempt.context },
          principal: `${name} user (ada)`,
        };
        const evaluated = await evaluate(ONBOARDED_USER, identityOf(profile), row, boundary);
        rows.push({ ...row, evaluated });
        expect(evaluated, `${name}: ${row.action} ${row.resource} (${row.why})`).toBe(row.expected);
      }
    },
  );
});

/**
 * The MFA gate: each boundary lets a member who has not signed in with MFA (a first sign-in, with
 * PasswordResetRequired; or a long-term key, which carries no MFA key at all) change their own password
 * and enrol their own virtual MFA device - and nothing else. With aws:MultiFactorAuthPresent true the
 * profile's permissions apply. Evaluated under each boundary with the widest identity (AdministratorAccess),
 * so the boundary alone is what decides.
 */
const FIRST_DAY: { action: string; resource: string; without: string; withMfa: string; why: string }[] = [
  {
    action: 'iam:ChangePassword',
    resource: ONBOARDED_USER,
    without: 'allowed',
    withMfa: 'allowed',
    why: 'set the new password',
  },
  {
    action: 'iam:GetAccountPasswordPolicy',
    resource: '*',
    without: 'allowed',
    withMfa: 'allowed',
    why: 'the rules it must meet',
  },
  {
    action: 'iam:GetUser',
    resource: ONBOARDED_USER,
    without: 'allowed',
    withMfa: 'allowed',
    why: 'the console reads itself',
  },
  {
    action: 'iam:CreateVirtualMFADevice',
    resource: iam('mfa/ada'),
    without: 'allowed',
    withMfa: 'allowed',
    why: 'its own device',
  },
  {
    action: 'iam:EnableMFADevice',
    resource: ONBOARDED_USER,
    without: 'allowed',
    withMfa: 'allowed',
    why: 'its own device',
  },
  {
    action: 'iam:ListMFADevices',
    resource: ONBOARDED_USER,
    without: 'allowed',
    withMfa: 'allowed',
    why: 'its own devices',
  },
  {
    action: 'iam:ListVirtualMFADevices',
    resource: '*',
    without: 'allowed',
    withMfa: 'allowed',
    why: 'the enrolment page',
  },
  {
    action: 'sts:GetSessionToken',
    resource: '*',
    without: 'allowed',
    withMfa: 'allowed',
    why: 'an MFA session for a key',
  },
  {
    action: 'iam:DeactivateMFADevice',
    resource: ONBOARDED_USER,
    without: 'denied',
    withMfa: 'allowed',
    why: 'removing MFA needs MFA',
  },
  {
    action: 'secretsmanager:GetSecretValue',
    resource: secret(`${config.secretPrefix}ada/access-key`),
    without: 'denied',
    withMfa: 'allowed',
    why: 'its own key secret',
  },
  {
    action: 'cloudwatch:GetMetricData',
    resource: '*',
    without: 'denied',
    withMfa: 'allowed',
    why: 'work every profile may do',
  },
  {
    action: 'iam:CreateAccessKey',
    resource: ONBOARDED_USER,
    without: 'denied',
    withMfa: 'denied',
    why: 'a key of its own',
  },
  {
    action: 'iam:ChangePassword',
    resource: iam('user/onboarded/bob'),
    without: 'denied',
    withMfa: 'denied',
    why: "another user's password",
  },
];

describe('the MFA gate of every boundary, evaluated', () => {
  const table: string[][] = [];
  afterAll(() => {
    const header = ['profile', 'action', 'resource', 'why', 'without MFA', 'with MFA'];
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((c) => (c[i] ?? '').length)));
    const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i] ?? 0)).join('  ');
    console.log(
      `\nMFA gate: ${table.length} rows, a member who has not signed in with MFA vs aws:MultiFactorAuthPresent true\n${[line(header), ...table.map(line)].join('\n')}\n`,
    );
  });

  it.each(Object.entries(config.profiles))(
    '%s: without MFA only the password and the own MFA device; with MFA the profile applies',
    async (name, profile) => {
      const boundary = boundaries[profile.boundary as string] as PolicyDocument;
      const mfaOf = (present: boolean): Record<string, string> => ({
        'aws:MultiFactorAuthPresent': String(present),
      });
      for (const row of FIRST_DAY) {
        // Without MFA: a console session before enrolment (false) and a long-term key (no key at all).
        const consoleFirst = await evaluate(
          ONBOARDED_USER,
          [EVERYTHING],
          { ...row, context: { 'aws:username': 'ada', ...mfaOf(false) } },
          boundary,
        );
        const longTermKey = await evaluate(
          ONBOARDED_USER,
          [EVERYTHING],
          { ...row, context: { 'aws:username': 'ada' } },
          boundary,
        );
        const withMfa = await evaluate(
          ONBOARDED_USER,
          [EVERYTHING],
          { ...row, context: { 'aws:username': 'ada', ...mfaOf(true) } },
          boundary,
        );
        table.push([name, row.action, row.resource.replace('arn:aws:', ''), row.why, consoleFirst, withMfa]);
        expect(consoleFirst, `${name} ${row.action} without MFA`).toBe(row.without);
        expect(longTermKey, `${name} ${row.action} with a long-term key`).toBe(row.without);
        expect(withMfa, `${name} ${row.action} with MFA`).toBe(row.withMfa);
      }
    },
  );
});

describe('the first sign-in under the identity a user really gets, evaluated (no deadlock)', () => {
  const selfService = resolveSelfService(config);
  it.each(Object.entries(config.profiles))(
    '%s: the self-service policy and the profile policies under the boundary let a member without MFA set the password and enrol their device',
    async (name, profile) => {
      const boundary = boundaries[profile.boundary as string] as PolicyDocument;
      const identity = [selfService, ...identityOf(profile)];
      for (const row of FIRST_DAY.filter((r) => r.without === 'allowed')) {
        const contexts: Record<string, string>[] = [
          { 'aws:username': 'ada', 'aws:MultiFactorAuthPresent': 'false' },
          { 'aws:username': 'ada' },
        ];
        for (const context of contexts) {
          const evaluated = await evaluate(ONBOARDED_USER, identity, { ...row, context }, boundary);
          expect(evaluated, `${name} ${row.action} without MFA (${JSON.stringify(context)})`).toBe('allowed');
        }
      }
      // Without the self-service policy nothing grants the first sign-in's calls: the deadlock it prevents.
      const stuck = await evaluate(
        ONBOARDED_USER,
        identityOf(profile),
        { ...(FIRST_DAY[0] as (typeof FIRST_DAY)[number]), context: { 'aws:username': 'ada' } },
        boundary,
      );
      expect(stuck, `${name}: iam:ChangePassword without the self-service policy`).toBe('denied');
    },
  );
});
