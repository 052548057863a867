import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/definition.ts';
import { loadStageConfig } from '../../src/deploy/stage-config.ts';
import { PROD_TEMPLATE } from './package-once.ts';

/**
 * dev and prod packaged side by side (issue 16): two stacks in one account and region must not set a
 * physical name in common, or the second deploy fails on a name the first one holds. Every property
 * whose key ends in "Name" is collected from both templates (and every export name), rendered with
 * the pseudo parameters left as placeholders: the same account and region on both sides.
 */

type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Export?: { Name?: unknown } }>;
};

/** Keys ending in "Name" that name something inside their resource, or something the stack does not own. */
const NOT_PHYSICAL: Record<string, string> = {
  'AWS::DynamoDB::Table AttributeName': 'a key attribute, inside its table',
  'AWS::DynamoDB::Table IndexName': 'a secondary index, inside its table',
  'AWS::CloudWatch::Alarm MetricName': 'the Step Functions metric the alarm watches',
  'AWS::CloudWatch::Alarm Name': "a metric dimension's key (StateMachineArn)",
  'AWS::ApiGatewayV2::Stage StageName': '`$default`, inside its API',
  'AWS::IAM::Role PolicyName': 'an inline policy, inside its role',
};

/**
 * Names set in both stages on purpose, with the reason. None today: the profiles' groups, which IAM
 * names account-wide, are created at run time by ensureGroup and are in neither template.
 */
const SHARED_ON_PURPOSE: Record<string, string> = {};

/** A name as CloudFormation would build it; pseudo parameters stay placeholders, alike in both stages. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string' && v.Ref.startsWith('AWS::')) return `\${${v.Ref}}`;
    const join = v['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(render).join(join[0]);
    }
    const sub = v['Fn::Sub'];
    if (typeof sub === 'string') {
      const other = sub.match(/\$\{(?!AWS::)[^}]*\}/);
      if (other) throw new Error(`cannot render ${other[0]} in the name ${sub}`);
      return sub;
    }
  }
  throw new Error(`cannot render the name ${JSON.stringify(value)}`);
}

/** A Ref or GetAtt of one of the template's resources: it points at a name set elsewhere, it sets none. */
function isReference(value: unknown, template: Template): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref in template.Resources;
  const att = v['Fn::GetAtt'];
  return Array.isArray(att) && typeof att[0] === 'string' && att[0] in template.Resources;
}

/** Every physical name the template sets, as `<type>.<key> <name>`: a collision is within one kind. */
function physicalNames(template: Template, exemptionsUsed: Set<string>): Map<string, string> {
  const names = new Map<string, string>();
  const walk = (type: string, id: string, node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(type, id, item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      // A policy document holds ARNs and conditions (iam:AWSServiceName names AWS's services, not ours).
      if (key.endsWith('PolicyDocument')) continue;
      if (key.endsWith('Name') && !isReference(value, template)) {
        if (`${type} ${key}` in NOT_PHYSICAL) exemptionsUsed.add(`${type} ${key}`);
        else names.set(`${type}.${key} ${render(value)}`, id);
        continue;
      }
      walk(type, id, value);
    }
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    walk(resource.Type, id, resource.Properties ?? {});
  }
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Export?.Name !== undefined) names.set(`Export.Name ${render(output.Export.Name)}`, id);
  }
  return names;
}

const carriesStage = (name: string, stage: string) =>
  new RegExp(`(^|[^a-zA-Z])${stage}([^a-z]|$)`).test(name.slice(name.indexOf(' ') + 1));

const readTemplate = async (path: string): Promise<Template> =>
  JSON.parse(await readFile(path, 'utf8')) as Template;

let dev: Map<string, string>;
let prod: Map<string, string>;
const exemptionsUsed = new Set<string>();

beforeAll(async () => {
  dev = physicalNames(
    await readTemplate(join(PROJECT_ROOT, '.serverless', 'cloudformation-template-update-stack.json')),
    exemptionsUsed,
  );
  prod = physicalNames(await readTemplate(PROD_TEMPLATE), exemptionsUsed);
});

describe('dev and prod packaged side by side', () => {
  it('finds every kind of name the stack sets, in both stages', () => {
    const kinds = (names: Map<string, string>) =>
      [...new Set([...names.keys()].map((n) => n.split(' ')[0]))].sort();
    const expected = [
      'AWS::ApiGatewayV2::Api.Name',
      'AWS::DynamoDB::Table.TableName',
      'AWS::Events::Rule.Name',
      'AWS::IAM::ManagedPolicy.ManagedPolicyName',
      'AWS::IAM::Role.RoleName',
      'AWS::Lambda::Function.FunctionName',
      'AWS::Logs::LogGroup.LogGroupName',
      'AWS::SNS::Topic.TopicName',
      'AWS::SecretsManager::Secret.Name',
      'AWS::StepFunctions::StateMachine.StateMachineName',
      'Export.Name',
    ];
    expect(kinds(dev)).toEqual(expected);
    expect(kinds(prod)).toEqual(expected);
    expect(prod.size).toBe(dev.size);
    // Each exemption still matches a key in the templates: a stale one would hide nothing but mislead.
    expect([...exemptionsUsed].sort()).toEqual(Object.keys(NOT_PHYSICAL).sort());
  });

  it('sets no physical name in both templates beyond those shared on purpose', () => {
    const common = [...dev.keys()].filter((name) => prod.has(name));
    expect(common).toEqual(Object.keys(SHARED_ON_PURPOSE));
  });

  it("names prod's resources with the stage, its policies with prod's prefix", () => {
    const prefix = loadStageConfig('prod').boundaries.namePrefix;
    expect([...prod.keys()].filter((name) => !carriesStage(name, 'prod'))).toEqual([]);
    const policies = [...prod.keys()].filter((n) => n.startsWith('AWS::IAM::ManagedPolicy.'));
    expect(policies.length).toBeGreaterThan(1);
    expect(policies.filter((n) => !n.includes(` ${prefix}`))).toEqual([]);
  });

  it("names dev's resources with the stage; only its policies and API secrets keep the base names", () => {
    // config/onboarding.json is dev's configuration as it is: its boundary and self-service names are
    // the base `namePrefix`, its API secrets the base `api.*SecretName`; a stage's file
    // (config/stages/prod.json) gives that stage its own.
    const config = loadStageConfig('dev');
    const unstaged = [...dev.keys()].filter((name) => !carriesStage(name, 'dev'));
    const policies = [...dev.keys()].filter((n) => n.startsWith('AWS::IAM::ManagedPolicy.'));
    const secrets = [...dev.keys()].filter((n) => n.startsWith('AWS::SecretsManager::Secret.'));
    expect(unstaged.sort()).toEqual([...policies, ...secrets].sort());
    expect(policies.filter((n) => !n.includes(` ${config.boundaries.namePrefix}`))).toEqual([]);
    expect(secrets.map((n) => n.slice(n.indexOf(' ') + 1)).sort()).toEqual(
      [config.api.webhookSecretName, config.api.apiTokenSecretName, config.api.callbackSecretName].sort(),
    );
  });
});
