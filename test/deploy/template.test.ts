import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import rawConfig from '../../config/onboarding.json' with { type: 'json' };
import {
  boundaryNames,
  boundaryPolicyName,
  CONTAIN_POLICY,
  configuredGroupPolicyArns,
  configuredGroups,
  configuredServiceLinkedRoles,
  configuredUserPolicyArns,
  parseOnboardingConfig,
  SELF_SERVICE_POLICY,
} from '../../src/config.ts';
import { declaredCallsByFunction } from '../../src/declarations.ts';
import { loadServerlessFunctions, PROJECT_ROOT } from '../../src/definition.ts';
import { authorizedActions } from '../../src/steps/calls.ts';

/**
 * The packaged CloudFormation template, read as data: what a security review reads before deploying.
 * `npm run package` builds it offline (osls; no credentials, no AWS call); this layer's setup packages
 * only when the template is missing or older than what it is built from, so CI packages once.
 */

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
};
type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
let resources: Record<string, Resource>;
let outputs: Record<string, unknown>;
let conditions: Record<string, unknown>;

let declared: Record<string, string[]>;
let functionKeys: string[];

beforeAll(async () => {
  const template = JSON.parse(
    await readFile(join(PROJECT_ROOT, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as {
    Resources: Record<string, Resource>;
    Outputs: Record<string, unknown>;
    Conditions?: Record<string, unknown>;
  };
  resources = template.Resources;
  outputs = template.Outputs;
  conditions = template.Conditions ?? {};
  functionKeys = Object.keys(await loadServerlessFunctions());
  declared = Object.fromEntries(
    Object.entries(await declaredCallsByFunction()).map(([k, calls]) => [k, authorizedActions(calls)]),
  );
});

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

function statementsOf(roleId: string): Statement[] {
  const role = resources[roleId];
  expect(role, roleId).toBeDefined();
  const policies = (role?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** Everything a function's role may do besides writing its own logs and traces. */
function grantedActions(roleId: string): string[] {
  return [
    ...new Set(
      statementsOf(roleId)
        .filter((s) => s.Effect === 'Allow')
        .flatMap(actions)
        .filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')),
    ),
  ].sort();
}

const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
const groups = configuredGroups(config);

/** A boundary's ARN as the template writes it (CloudFormation's own placeholders, not a template literal). */
const boundaryArnInTemplate = (name: string) => ({
  'Fn::Sub': [
    'arn:$',
    '{AWS::Partition}:iam::$',
    `{AWS::AccountId}:policy${config.boundaries.path}${boundaryPolicyName(config, name)}`,
  ].join(''),
});

/** This stack's executions, as the template writes them (the tag's value is an execution ARN). */
const OWN_EXECUTIONS = {
  // CloudFormation's own placeholders, not a template literal.
  'Fn::Sub': [
    'arn:$',
    '{AWS::Partition}:states:$',
    '{AWS::Region}:$',
    '{AWS::AccountId}:execution:iam-onboarding-dev:*',
  ].join(''),
};

const pascal = (fnKey: string) => `${fnKey[0]?.toUpperCase()}${fnKey.slice(1)}`;
const roleOf = (fnKey: string) => `${pascal(fnKey)}IamRoleLambdaExecution`;

/** The role a function runs as, read from the function itself (a function may share the default role). */
function roleOfFunction(fnKey: string): string {
  const role = resources[`${pascal(fnKey)}LambdaFunction`]?.Properties.Role as
    | { 'Fn::GetAtt': string[] }
    | undefined;
  return role?.['Fn::GetAtt'][0] ?? '';
}

const ENTRY_POINTS = ['HttpApiLambdaFunction', 'NotifyCompletionLambdaFunction'];

describe('the Lambda roles', () => {
  it('grants every function in serverless.yml exactly the actions its declared calls need', () => {
    // Iterates the deployed functions, not a list of its own: a new function cannot go unchecked.
    expect(functionKeys.length).toBeGreaterThan(10);
    for (const fnKey of functionKeys) {
      expect(declared[fnKey], `${fnKey} declares its calls`).toBeDefined();
      expect(grantedActions(roleOfFunction(fnKey)), fnKey).toEqual(declared[fnKey]);
    }
  });

  it('gives the two functions that call no AWS service no AWS permission at all', () => {
    for (const fn of ['ValidateRequestLambdaFunction', 'ReportRollbackLambdaFunction']) {
      const role = resources[fn]?.Properties.Role as { 'Fn::GetAtt': string[] } | undefined;
      const roleId = role?.['Fn::GetAtt'][0] ?? '';
      expect(grantedActions(roleId), fn).toEqual([]);
    }
  });

  it('never grants a mutating IAM action on "*", nor iam:*, nor iam:PassRole', () => {
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::IAM::Role') continue;
      // A Deny on "*" takes away; only what is allowed is a grant.
      for (const s of statementsOf(id).filter((x) => x.Effect === 'Allow')) {
        for (const action of actions(s)) {
          expect(action, id).not.toMatch(/^(iam:\*|\*|iam:PassRole)$/);
          const mutatingIam = action.startsWith('iam:') && !/^iam:(Get|List)/.test(action);
          if (mutatingIam) expect(resourcesOf(s), `${id} ${action}`).not.toContain('*');
        }
      }
    }
  });

  it('scopes users to the configured path, and creates them only under one of the configured boundaries', () => {
    const create = statementsOf(roleOf('createUser')).find((s) => actions(s).includes('iam:CreateUser'));
    expect(JSON.stringify(create?.Resource)).toContain(`:user${config.userPath}*`);
    // Exactly the boundary files the profiles name: no other boundary, and never none.
    expect(create?.Condition).toEqual({
      StringEquals: { 'iam:PermissionsBoundary': boundaryNames(config).map(boundaryArnInTemplate) },
    });
    expect(boundaryNames(config)).toEqual([
      'elasticache-developer',
      'kinesis-video-admin',
      'stepfunctions-admin',
      'team-member',
    ]);
  });

  it('names groups exactly - the configured path and an allowed name, no wildcard - wherever a role names one', () => {
    const allowed = groups.map((g) => `:group${config.groupPath}${g}`);
    // Only GetGroup may name an allowed group at any path: IAM evaluates a missing group as group/<name>,
    // and the plan must see a same-named group elsewhere to refuse it.
    const anyPath = groups.flatMap((g) => [`:group/${g}`, `:group/*/${g}`]);
    let seen = 0;
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::IAM::Role') continue;
      for (const s of statementsOf(id)) {
        for (const resource of resourcesOf(s).map((x) => JSON.stringify(x))) {
          if (!resource.includes(':group')) continue;
          seen++;
          if (
            actions(s).every((a) => a === 'iam:GetGroup') &&
            anyPath.some((a) => resource.endsWith(`${a}"}`))
          )
            continue;
          // The offboarding's removal takes the leaver out of any group at the configured path (only
          // RemoveUserFromGroup, only that path: a group elsewhere is left and named).
          if (
            id === roleOf('offboardRemove') &&
            actions(s).every((a) => a === 'iam:RemoveUserFromGroup') &&
            resource.endsWith(`:group${config.groupPath}*"}`)
          )
            continue;
          expect(resource, id).not.toContain('*');
          expect(
            allowed.some((a) => resource.endsWith(`${a}"}`)),
            `${id}: ${resource}`,
          ).toBe(true);
        }
      }
    }
    expect(seen).toBeGreaterThan(groups.length);
  });

  it("tags users only with one of this stack's execution tags, and never re-tags an onboarded user", () => {
    const statements = statementsOf(roleOf('createUser'));
    const tag = statements.find((s) => s.Effect === 'Allow' && actions(s).includes('iam:TagUser'));
    expect(actions(tag as Statement)).toEqual(['iam:TagUser']);
    expect(tag?.Condition).toEqual({ StringLike: { 'aws:RequestTag/onboarding:execution': OWN_EXECUTIONS } });
    const retag = statements.find((s) => s.Effect === 'Deny');
    expect(retag).toMatchObject({
      Action: ['iam:TagUser', 'iam:UntagUser'],
      Condition: { Null: { 'iam:ResourceTag/onboarding:execution': 'false' } },
    });
  });

  it("deletes users, keys and secrets only where this stack's execution tag is on them", () => {
    const onUser = { StringLike: { 'iam:ResourceTag/onboarding:execution': OWN_EXECUTIONS } };
    const onSecret = { StringLike: { 'aws:ResourceTag/onboarding:execution': OWN_EXECUTIONS } };
    for (const [fnKey, action, condition] of [
      ['undoCreateUser', 'iam:DeleteUser', onUser],
      ['undoCreateUser', 'iam:DeleteAccessKey', onUser],
      ['createAccessKey', 'iam:CreateAccessKey', onUser],
      ['undoCreateAccessKey', 'iam:DeleteAccessKey', onUser],
      ['undoCreateAccessKey', 'secretsmanager:DeleteSecret', onSecret],
      ['createAccessKey', 'secretsmanager:PutResourcePolicy', onSecret],
    ] as const) {
      const s = statementsOf(roleOf(fnKey)).find((x) => x.Effect === 'Allow' && actions(x).includes(action));
      expect(s?.Condition, `${fnKey} ${action}`).toEqual(condition);
    }
  });

  it("attaches and detaches only the profiles' group policies, on the profiles' groups", () => {
    for (const [fnKey, action] of [
      ['attachGroupPolicies', 'iam:AttachGroupPolicy'],
      ['undoAttachGroupPolicies', 'iam:DetachGroupPolicy'],
    ] as const) {
      const s = statementsOf(roleOf(fnKey)).find((x) => actions(x).includes(action));
      expect(s?.Condition).toEqual({ ArnEquals: { 'iam:PolicyARN': configuredGroupPolicyArns(config) } });
      expect(resourcesOf(s as Statement)).toHaveLength(groups.length);
    }
  });

  it("attaches and detaches only the profiles' per-user policies, on this stack's onboarded users", () => {
    for (const [fnKey, action] of [
      ['attachUserPolicies', 'iam:AttachUserPolicy'],
      ['undoAttachUserPolicies', 'iam:DetachUserPolicy'],
    ] as const) {
      const s = statementsOf(roleOf(fnKey)).find((x) => x.Effect === 'Allow' && actions(x).includes(action));
      const condition = s?.Condition as { ArnEquals: { 'iam:PolicyARN': unknown[] } };
      expect(condition, fnKey).toEqual({
        ArnEquals: { 'iam:PolicyARN': expect.any(Array) },
        StringLike: { 'iam:ResourceTag/onboarding:execution': OWN_EXECUTIONS },
      });
      // The profiles' per-user allowlists, and this stack's own self-service policy: nothing else.
      const allowed = condition.ArnEquals['iam:PolicyARN'];
      expect(allowed.slice(0, -1), fnKey).toEqual(configuredUserPolicyArns(config));
      expect(JSON.stringify(allowed.at(-1)), fnKey).toContain(
        `:policy${config.boundaries.path}${boundaryPolicyName(config, SELF_SERVICE_POLICY)}`,
      );
      expect(JSON.stringify(s?.Resource)).toContain(`:user${config.userPath}*`);
    }
    // No group policy can reach a user this way, and AdministratorAccess is nowhere.
    expect(configuredUserPolicyArns(config)).not.toContain('arn:aws:iam::aws:policy/AdministratorAccess');
  });

  it('creates service-linked roles only for the allowlisted services', () => {
    const s = statementsOf(roleOf('ensureServiceLinkedRoles')).find((x) =>
      actions(x).includes('iam:CreateServiceLinkedRole'),
    );
    expect(s?.Condition).toEqual({
      StringEquals: { 'iam:AWSServiceName': configuredServiceLinkedRoles(config) },
    });
  });

  it("lets the API start and read only this stack's two state machines, and read only its own secrets", () => {
    const statements = statementsOf(roleOf('httpApi'));
    const start = statements.find((s) => actions(s).includes('states:StartExecution'));
    expect(start?.Resource).toEqual([{ Ref: 'OnboardingStateMachine' }, { Ref: 'OffboardingStateMachine' }]);
    const secrets = statements.find((s) => actions(s).includes('secretsmanager:GetSecretValue'));
    expect(JSON.stringify(secrets?.Resource)).toContain(config.api.webhookSecretName);
    expect(JSON.stringify(secrets?.Resource)).not.toContain(`:secret:${config.secretPrefix}`);
  });

  it('keeps Secrets Manager access under the configured prefix', () => {
    for (const fnKey of ['plan', 'createAccessKey', 'undoCreateAccessKey']) {
      for (const s of statementsOf(roleOf(fnKey)).filter((x) =>
        actions(x).some((a) => a.startsWith('secretsmanager:')),
      )) {
        expect(JSON.stringify(s.Resource), fnKey).toContain(`:secret:${config.secretPrefix}*`);
      }
    }
  });
});

describe('the ledger', () => {
  const LEDGER_ARN = { 'Fn::GetAtt': ['OnboardingLedgerTable', 'Arn'] };
  /** The Allow statements of every role that name a DynamoDB action, by role. */
  /** The functions whose declared calls include a DynamoDB action. */
  function ledgerUsers(): string[] {
    return Object.entries(declared)
      .filter(([, calls]) => calls.some((a) => a.startsWith('dynamodb:')))
      .map(([fn]) => fn)
      .sort();
  }

  function dynamoGrants(): [string, Statement][] {
    return Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .flatMap(([id]) =>
        statementsOf(id)
          .filter((s) => s.Effect === 'Allow' && actions(s).some((a) => a.startsWith('dynamodb:')))
          .map((s) => [id, s] as [string, Statement]),
      );
  }

  it('is one on-demand table with point-in-time recovery and encryption, kept when the stack goes', () => {
    const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id)).toEqual(['OnboardingLedgerTable']);
    const table = resources.OnboardingLedgerTable as Resource;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      TableName: 'iam-onboarding-dev-ledger',
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      // The listing's indexes (src/ledger/list.ts): every request by time, and one status by time.
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byTime',
          KeySchema: [
            { AttributeName: 'itemType', KeyType: 'HASH' },
            { AttributeName: 'startedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'byOutcome',
          KeySchema: [
            { AttributeName: 'outcome', KeyType: 'HASH' },
            { AttributeName: 'startedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    expect(outputs.LedgerTableName).toEqual(
      expect.objectContaining({ Value: { Ref: 'OnboardingLedgerTable' } }),
    );
  });

  it('grants item reads and writes on the ledger table alone - never "*", never a table action - to the functions that declare a ledger call', () => {
    const grants = dynamoGrants();
    // Derived from the declarations: a function reaches the ledger only when its code declares a
    // DynamoDB call (the entry points, the approval task's token write, Plan's decision check).
    expect(new Set(grants.map(([id]) => id))).toEqual(new Set(ledgerUsers().map(roleOf)));
    expect(ledgerUsers()).toEqual(
      expect.arrayContaining(['httpApi', 'notifyCompletion', 'awaitApproval', 'plan']),
    );
    for (const [id, s] of grants.filter(([, x]) => !actions(x).includes('dynamodb:Query'))) {
      expect(resourcesOf(s), id).toEqual([LEDGER_ARN]);
      for (const action of actions(s)) {
        expect(action, id).toMatch(/^dynamodb:(PutItem|UpdateItem|GetItem)$/);
      }
    }
  });

  it("lets the HTTP API alone Query the two listing indexes - on the indexes' ARNs, never the table's, and Scan nowhere", () => {
    // CloudFormation's own placeholder, not a template literal.
    const indexArn = (name: string) => ({
      'Fn::Sub': ['$', `{OnboardingLedgerTable.Arn}/index/${name}`].join(''),
    });
    const queries = dynamoGrants().filter(([, s]) =>
      actions(s).some((a) => /^dynamodb:(Query|Scan)/.test(a)),
    );
    expect(queries.map(([id]) => id)).toEqual([roleOf('httpApi')]);
    const [, statement] = queries[0] as [string, Statement];
    expect(actions(statement)).toEqual(['dynamodb:Query']);
    expect(resourcesOf(statement)).toEqual([indexArn('byTime'), indexArn('byOutcome')]);
    const indexes = (resources.OnboardingLedgerTable?.Properties.GlobalSecondaryIndexes ?? []) as {
      IndexName: string;
    }[];
    expect(indexes.map((i) => i.IndexName)).toEqual(['byTime', 'byOutcome']);
  });

  it('hands the table name to exactly the functions whose role may use it', () => {
    const withTable = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .filter(([, r]) => {
        const vars = (r.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
          ?.Variables;
        return vars?.ONBOARDING_LEDGER_TABLE !== undefined;
      });
    expect(withTable.map(([id]) => id).sort()).toEqual(
      ledgerUsers()
        .map((fn) => `${pascal(fn)}LambdaFunction`)
        .sort(),
    );
    for (const [id, r] of withTable) {
      const vars = (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vars.ONBOARDING_LEDGER_TABLE, id).toEqual({ Ref: 'OnboardingLedgerTable' });
    }
  });
});

/** The two state machines: the onboarding and the leaver's (statemachine/offboarding.asl.yaml). */
const MACHINES = ['OnboardingStateMachine', 'OffboardingStateMachine'];

describe.each(MACHINES)('the state machine %s in the template', (machine) => {
  function definition(id = machine) {
    const sm = resources[id] as Resource;
    const [text, vars] = (sm.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] })[
      'Fn::Sub'
    ];
    return { asl: JSON.parse(text) as { States: Record<string, Record<string, unknown>> }, vars, text };
  }
  const referencedBy = (id: string) =>
    Object.values(definition(id).vars).map((v) => (v as { 'Fn::GetAtt': string[] })['Fn::GetAtt']?.[0]);

  it('references its own functions, one per Task state, and together they reference every task function', () => {
    const { asl } = definition();
    const tasks = Object.entries(asl.States).filter(([, s]) => s.Type === 'Task');
    const referenced = referencedBy(machine);
    expect(referenced).toHaveLength(tasks.length);
    // No function serves both state machines (each verifies its events against one of them).
    const others = MACHINES.filter((m) => m !== machine).flatMap(referencedBy);
    expect(referenced.filter((f) => others.includes(f))).toEqual([]);
    const functions = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => !ENTRY_POINTS.includes(id));
    expect(new Set(MACHINES.flatMap(referencedBy))).toEqual(new Set(functions));
  });

  it('carries a Retry with full jitter on every Task', () => {
    const { asl } = definition();
    for (const [name, s] of Object.entries(asl.States).filter(([, x]) => x.Type === 'Task')) {
      const retry = s.Retry as { JitterStrategy?: string }[];
      expect(retry.length, name).toBeGreaterThan(0);
      for (const r of retry) expect(r.JitterStrategy, name).toBe('FULL');
    }
  });

  it('may only invoke its own functions', () => {
    const statements = statementsOf(`${machine}Role`);
    const invoke = statements.filter((s) => actions(s).includes('lambda:InvokeFunction'));
    const targets = invoke.flatMap(resourcesOf).map((r) => JSON.stringify(r));
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(t).toMatch(/LambdaFunction/);
    const own = new Set(referencedBy(machine));
    for (const t of targets)
      expect(
        [...own].some((f) => t.includes(`"${f}"`)),
        t,
      ).toBe(true);
    const other = statements.flatMap(actions).filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'));
    expect([...new Set(other)]).toEqual(['lambda:InvokeFunction']);
  });

  it('logs at a level that records no execution data, and traces', () => {
    const sm = resources[machine] as Resource;
    expect(sm.Properties.LoggingConfiguration).toMatchObject({ IncludeExecutionData: false, Level: 'ERROR' });
    expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });
});

describe('operations', () => {
  it('sets a retention on every log group', () => {
    const groups = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(16);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(30);
  });

  it('alarms on failed, timed-out and aborted executions into an SNS topic, and routes their events there', () => {
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    // Three per state machine: the onboarding's and the offboarding's.
    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(
      ['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut'].flatMap((m) => [m, m]),
    );
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: 'OnboardingAlarmTopic' }]);
    const rule = resources.FailedExecutionsRule as Resource;
    expect(rule.Properties.EventPattern).toMatchObject({
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
  });

  it("mails the alarms to the stage's alarmEmail only when one is set (a condition on the subscription)", () => {
    const subscription = resources.AlarmEmailSubscription as Resource & { Condition?: string };
    expect(subscription).toMatchObject({
      Type: 'AWS::SNS::Subscription',
      Condition: 'HasAlarmEmail',
      Properties: { TopicArn: { Ref: 'OnboardingAlarmTopic' }, Protocol: 'email' },
    });
    // Packaged with the default (empty) alarmEmail: the condition is "not ('' equals '')", false, so
    // CloudFormation creates no subscription; with an address it compares that address to ''.
    const condition = conditions[subscription.Condition ?? ''] as {
      'Fn::Not': [{ 'Fn::Equals': [unknown, unknown] }];
    };
    const [given, empty] = condition['Fn::Not'][0]['Fn::Equals'];
    expect(empty).toBe('');
    expect(given).toBe(subscription.Properties.Endpoint);
    expect(given === empty).toBe(true);
  });

  it('throttles the HTTP API on its default route', () => {
    const stage = resources.HttpApiStage as Resource;
    expect(stage.Type).toBe('AWS::ApiGatewayV2::Stage');
    const settings = stage.Properties.DefaultRouteSettings as Record<string, number>;
    expect(settings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(settings.ThrottlingBurstLimit).toBeGreaterThanOrEqual(settings.ThrottlingRateLimit ?? 0);
  });

  it('creates one managed policy per boundary file, the self-service policy and the deny-all, from the configuration, and outputs the state machines', () => {
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy');
    expect(policies.map((p) => p.Properties.ManagedPolicyName).sort()).toEqual(
      [...boundaryNames(config), SELF_SERVICE_POLICY, CONTAIN_POLICY]
        .map((b) => boundaryPolicyName(config, b))
        .sort(),
    );
    // The offboarding's containment: deny everything, nothing else.
    const contain = resources.OffboardingContainPolicy as Resource;
    expect(contain.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'ContainedByAnOffboarding', Effect: 'Deny', Action: '*', Resource: '*' }],
    });
    expect(outputs.OffboardingStateMachineArn).toEqual(
      expect.objectContaining({ Value: { Ref: 'OffboardingStateMachine' } }),
    );
    const selfService = resources.SelfServicePolicy as Resource;
    expect(selfService.Properties.Path).toBe(config.boundaries.path);
    // An identity policy that only allows (the boundary caps it): the member's own password, device, secret.
    expect(JSON.stringify(selfService.Properties.PolicyDocument)).not.toContain('"Effect":"Deny"');
    for (const boundary of policies.filter((p) => p !== selfService)) {
      expect(boundary.Properties.Path).toBe(config.boundaries.path);
      expect(JSON.stringify(boundary.Properties.PolicyDocument)).toContain('"Effect":"Deny"');
    }
    expect(outputs.StateMachineArn).toEqual(
      expect.objectContaining({ Value: { Ref: 'OnboardingStateMachine' } }),
    );
  });

  it('retains the boundaries and the self-service policy when the stack goes: the onboarded users still carry them', () => {
    // IAM refuses DeletePolicy on a policy used as a permissions boundary (DeleteConflict), so a stack
    // that deleted them could not be removed while any onboarded user exists; nor may a replacement
    // take a user's boundary away.
    const policies = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy');
    // The deny-all too: a contained leaver carries it through the grace period.
    expect(policies.length).toBe(boundaryNames(config).length + 2);
    for (const [id, policy] of policies) {
      expect({ id, deletion: policy.DeletionPolicy, replace: policy.UpdateReplacePolicy }).toEqual({
        id,
        deletion: 'Retain',
        replace: 'Retain',
      });
    }
  });

  it("lists every output of the stack in docs/deploy.md (the framework's per-function versions aside)", async () => {
    const doc = await readFile(join(PROJECT_ROOT, 'docs', 'deploy.md'), 'utf8');
    const keys = Object.keys(outputs).filter((k) => !k.endsWith('LambdaFunctionQualifiedArn'));
    expect(keys.length).toBeGreaterThan(3);
    expect(keys.filter((k) => !doc.includes(`\`${k}\``))).toEqual([]);
  });

  it('owns the HTTP API secrets with generated values, under the names the API role reads', () => {
    // `serverless deploy` needs no manual step: CloudFormation generates each value, the template holds none.
    const secrets = Object.values(resources).filter((r) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets.map((r) => r.Properties.Name).sort()).toEqual(
      [config.api.webhookSecretName, config.api.apiTokenSecretName, config.api.callbackSecretName].sort(),
    );
    for (const secret of secrets) {
      expect(secret.Properties).not.toHaveProperty('SecretString');
      expect(secret.Properties.GenerateSecretString).toEqual({
        PasswordLength: 64,
        ExcludePunctuation: true,
      });
    }
    const read = statementsOf(roleOf('httpApi')).find((s) =>
      actions(s).includes('secretsmanager:GetSecretValue'),
    );
    for (const name of [config.api.webhookSecretName, config.api.apiTokenSecretName]) {
      expect(JSON.stringify(read?.Resource)).toContain(`:secret:${name}-??????`);
    }
  });

  it('bundles each function on its own, with a source map', async () => {
    const state = JSON.parse(
      await readFile(join(PROJECT_ROOT, '.serverless', 'serverless-state.json'), 'utf8'),
    ) as {
      service: { functions: Record<string, { package?: { artifact?: string } }> };
    };
    const artifacts = Object.values(state.service.functions).map((f) => f.package?.artifact);
    expect(new Set(artifacts).size).toBe(functionKeys.length);
    const listing = execFileSync('unzip', ['-l', join(PROJECT_ROOT, '.serverless', 'createUser.zip')], {
      encoding: 'utf8',
    });
    expect(listing).toMatch(/functions\/create-user\.mjs\n/);
    expect(listing).toMatch(/functions\/create-user\.mjs\.map/);
  });
});
